package physionet

import (
	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/odeop"
)

// Kind names a model.
type Kind string

// The models of Rubanova et al.'s PhysioNet experiment.
const (
	// ODERNN is the ODE-RNN classifier: a GRU updated at each observation with
	// [x ⊙ m, m], whose hidden state follows dh/dt = f(h) between observations; the
	// mortality logit is a network of the state after the last observation, and a linear
	// readout of the state evolved to each observation time (before its update) predicts
	// that observation's values from the past.
	ODERNN Kind = "odernn"
	// RNNDt is the RNN-Δt baseline: the same GRU fed [x ⊙ m, m, Δt] with Δt the time
	// since the row's previous update (scaled by DtScale), and no dynamics between
	// observations.
	RNNDt Kind = "rnndt"
	// LatentODE is the latent ODE with an ODE-RNN encoder: the ODE-RNN reads a row's
	// observations from the last to the first and on to time 0, and gives the mean and
	// log standard deviation of q(z0); z0 follows dz/dt = g(z) through the row's
	// observation times, where a linear readout gives the reconstruction; the mortality
	// logit is a network of z0. Trained on the negative ELBO plus CEWeight times the
	// classification loss, as Rubanova et al.
	LatentODE Kind = "latentode"
)

// Kinds lists the model kinds.
var Kinds = []Kind{ODERNN, RNNDt, LatentODE}

// Config configures a Model. Zero fields take the documented defaults.
type Config struct {
	Kind      Kind
	Hidden    int     // hidden units of the GRU (default 40)
	Units     int     // width of the dynamics networks (default 64)
	Latent    int     // latent dimension of LatentODE (default 20)
	HeadUnits int     // hidden width of the classifier network (default 64)
	Batch     int     // rows per graph: every batch is padded to it (default 50)
	RecWeight float64 // ODERNN and RNNDt: weight of the one-step prediction MSE in the loss (default 1; negative: 0)
	CEWeight  float64 // LatentODE: weight of the classification loss (default 100, as Rubanova et al.)
	ObsStd    float64 // LatentODE: observation noise (default 0.01, as Rubanova et al. for PhysioNet)
	DtScale   float64 // RNNDt: the time gap input is DtScale times the gap in 48-hour units (default 10)
	// TimeScale is the unit of time of the ODE solves: the dynamics advance by TimeScale
	// times the gap in 48-hour units (default 1: time in units of 48 hours; 48: in hours).
	TimeScale float64
	// Method, RTol, ATol and Step are the solver options of every ODE solve on the unit
	// interval of GapScaled (default Dopri5 with rtol 1e-3, atol 1e-4, the tolerances of
	// Rubanova et al.'s code; Step is used by fixed-step methods, default 0.25).
	Method     odeop.Method
	RTol, ATol float64
	Step       float64
	// Adjoint selects the adjoint gradient of the solves (default Checkpoint:
	// backpropagation through the stored steps, cheaper for the few steps of one gap).
	Adjoint bool
	Seed    uint64
}

func (c Config) withDefaults() (Config, error) {
	switch c.Kind {
	case ODERNN, RNNDt, LatentODE:
	case "":
		c.Kind = ODERNN
	default:
		return c, errors.Wrapf(ErrConfig, "model kind %q, want one of %v", c.Kind, Kinds)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Hidden, 40)
	def(&c.Units, 64)
	def(&c.Latent, 20)
	def(&c.HeadUnits, 64)
	def(&c.Batch, 50)
	deff := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
		if *v < 0 {
			*v = 0
		}
	}
	deff(&c.RecWeight, 1)
	deff(&c.CEWeight, 100)
	deff(&c.ObsStd, 0.01)
	deff(&c.DtScale, 10)
	deff(&c.TimeScale, 1)
	if c.Kind == LatentODE && c.ObsStd == 0 {
		return c, errors.Wrap(ErrConfig, "latent ODE observation noise must be positive")
	}
	if c.Method == "" {
		c.Method = odeop.Dopri5
	}
	deff(&c.RTol, 1e-3)
	deff(&c.ATol, 1e-4)
	deff(&c.Step, 0.25)
	return c, nil
}

func (c Config) solveOpts() []odeop.Option {
	gm := odeop.Checkpoint
	if c.Adjoint {
		gm = odeop.Adjoint
	}
	// The max norm: padded rows (gap 0, zero error) must not dilute the error of the
	// others, as they would under the default RMS over the batch.
	// Fixed-step methods have no error norm (odeop refuses WithNorm there).
	opts := []odeop.Option{odeop.WithMethod(c.Method), odeop.WithGradient(gm)}
	switch c.Method {
	case odeop.Euler, odeop.Midpoint, odeop.Heun, odeop.RK4:
		return append(opts, odeop.WithStep(c.Step))
	}
	return append(opts, odeop.WithNorm(odeop.MaxNorm), odeop.WithTol(c.RTol, c.ATol))
}
