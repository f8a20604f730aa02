package classify

import (
	"encoding/json"
	"fmt"
	"github.com/continuum-ml/continuum/models"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/odeop"
)

// The kinds of Model.
const (
	KindODENet = "odenet"
	KindResNet = "resnet"
)

// Config configures NewODENet and NewResNet. Zero fields take the documented
// defaults.
type Config struct {
	// Name prefixes the names of the model's nodes (default: the kind, "odenet" or
	// "resnet"); two models in one graph need different names.
	Name string
	// In is the number of input features; required (64 for the 8x8 digits).
	In int
	// Classes is the number of classes (default 10).
	Classes int
	// Hidden is the width of the stem's output, which is the state of the body
	// (default 32).
	Hidden int
	// Width is the hidden width of the dynamics f (ODE-Net) and of each residual
	// function f_k (ResNet) (default Hidden).
	Width int
	// Blocks is the number of residual blocks of the ResNet (default 6, as the MNIST
	// ResNet of Chen et al. 2018); ignored by the ODE-Net.
	Blocks int
	// Seed seeds the initial weights.
	Seed uint64

	// The ODE-Net's solve (ignored by the ResNet): the block integrates over [0, T1]
	// (default 1) with Method (default dopri5) at tolerances Rtol, Atol (defaults 1e-3
	// and 1e-4: classification needs no accurate trajectories) and computes gradients
	// with Grad (default odeop.Adjoint).
	T1         float64
	Method     odeop.Method
	Rtol, Atol float64
	Grad       odeop.GradientMethod
}

// MarshalJSON writes the configuration with Grad by its name (odeop.GradientMethod is an
// interface: "adjoint", "checkpoint"; nil: the default, left out).
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config
	var v struct {
		plain
		Grad string `json:",omitempty"`
	}
	v.plain = plain(c)
	if c.Grad != nil {
		v.Grad = c.Grad.String()
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes; Grad may also be the number that earlier
// versions wrote (0: adjoint, 1: checkpoint).
func (c *Config) UnmarshalJSON(b []byte) error {
	type plain Config
	var v struct {
		*plain
		Grad json.RawMessage
	}
	v.plain = (*plain)(c)
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c.Grad = nil
	var name string
	var old int
	switch {
	case len(v.Grad) == 0 || string(v.Grad) == "null":
		return nil
	case json.Unmarshal(v.Grad, &old) == nil && (old == 0 || old == 1):
		c.Grad = odeop.GradientMethods()[old]
		return nil
	case json.Unmarshal(v.Grad, &name) != nil:
		return errors.Errorf("classify: config: Grad %s, want a gradient method's name", v.Grad)
	}
	for _, m := range odeop.GradientMethods() {
		if m.String() == name {
			c.Grad = m
			return nil
		}
	}
	return errors.Errorf("classify: config: gradient method %q unknown", name)
}

func (c Config) withDefaults(kind string) (Config, error) {
	if c.Name == "" {
		c.Name = kind
	}
	if c.Classes == 0 {
		c.Classes = 10
	}
	if c.Hidden == 0 {
		c.Hidden = 32
	}
	if c.Width == 0 {
		c.Width = c.Hidden
	}
	if c.Blocks == 0 {
		c.Blocks = 6
	}
	if c.T1 == 0 {
		c.T1 = 1
	}
	if c.Method == "" {
		c.Method = odeop.Dopri5
	}
	if c.Rtol == 0 {
		c.Rtol = 1e-3
	}
	if c.Atol == 0 {
		c.Atol = 1e-4
	}
	if c.In < 1 || c.Classes < 2 || c.Hidden < 1 || c.Width < 1 || c.Blocks < 1 || c.Rtol < 0 || c.Atol < 0 {
		return c, errors.Wrapf(models.ErrConfig, "%s: in %d, classes %d, hidden %d, width %d, blocks %d, tolerances %g, %g",
			kind, c.In, c.Classes, c.Hidden, c.Width, c.Blocks, c.Rtol, c.Atol)
	}
	return c, nil
}

// Model is a classifier of flat inputs (batch, In) built from Gorgonia layers:
//
//	stem: Dense In -> Hidden, tanh
//	body: ODE-Net: an ODEBlock z(1) = z(0) + ∫ f(t, z) dt with f = ConcatLinear Hidden+1 -> Width,
//	      tanh, ConcatLinear Width+1 -> Hidden (a native layers.MLP);
//	      ResNet: Blocks residual blocks z ← z + f_k(z), each f_k = Linear Hidden -> Width,
//	      tanh, Linear Width -> Hidden (a layers.MLP built with Gorgonia operations)
//	head: Dense Hidden -> Classes (the logits)
//
// so the ODE-Net has the parameters of one residual block (plus the Width + Hidden
// weights of t) and the ResNet those of Blocks of them, as in Chen et al. 2018, section
// 7.1. With the example's sizes (In 64, Hidden = Width = 64, 6 blocks) that is 13258
// parameters against 54730.
type Model struct {
	kind  string
	cfg   Config
	stem  *models.Dense
	head  *models.Dense
	f     *layers.MLP // ODE-Net dynamics
	block *layers.ODEBlock
	res   []*layers.MLP // ResNet residual functions
}

// NewODENet creates an ODE-Net's parameters in g.
func NewODENet(g *G.ExprGraph, cfg Config) (*Model, error) {
	return New(g, KindODENet, cfg)
}

// NewResNet creates the parameters of the ResNet baseline in g.
func NewResNet(g *G.ExprGraph, cfg Config) (*Model, error) {
	return New(g, KindResNet, cfg)
}

// New creates a classifier of the given kind (KindODENet or KindResNet).
func New(g *G.ExprGraph, kind string, cfg Config) (*Model, error) {
	if kind != KindODENet && kind != KindResNet {
		return nil, errors.Wrapf(models.ErrConfig, "unknown classifier kind %q", kind)
	}
	cfg, err := cfg.withDefaults(kind)
	if err != nil {
		return nil, err
	}
	c := &Model{kind: kind, cfg: cfg}
	if c.stem, err = models.NewDense(g, cfg.Name+".stem", cfg.In, cfg.Hidden, layers.Tanh, cfg.Seed); err != nil {
		return nil, err
	}
	switch kind {
	case KindODENet:
		c.f, err = layers.NewMLP(g, cfg.Name+".f", layers.Spec{In: cfg.Hidden, Seed: cfg.Seed,
			Layers: []layers.LayerSpec{layers.ConcatLinear(cfg.Width, layers.Tanh), layers.ConcatLinear(cfg.Hidden, nil)}})
		if err != nil {
			return nil, err
		}
		c.block = layers.NewODEBlock(c.f, odeop.WithMethod(cfg.Method), odeop.WithTol(cfg.Rtol, cfg.Atol),
			odeop.WithGradient(cfg.Grad)).SetInterval(0, cfg.T1)
	case KindResNet:
		for k := 0; k < cfg.Blocks; k++ {
			f, err := layers.NewMLP(g, fmt.Sprintf("%s.block%d", cfg.Name, k), layers.Spec{In: cfg.Hidden, Seed: cfg.Seed + uint64(k),
				Layers: []layers.LayerSpec{layers.Linear(cfg.Width, layers.Tanh), layers.Linear(cfg.Hidden, nil)}})
			if err != nil {
				return nil, err
			}
			c.res = append(c.res, f)
		}
	}
	if c.head, err = models.NewDense(g, cfg.Name+".head", cfg.Hidden, cfg.Classes, nil, cfg.Seed); err != nil {
		return nil, err
	}
	return c, nil
}

// Kind returns KindODENet or KindResNet.
func (c *Model) Kind() string { return c.kind }

// Config returns the configuration with its defaults filled in.
func (c *Model) Config() Config { return c.cfg }

// Block returns the ODE-Net's ODEBlock (nil for the ResNet): its NFE are those of the
// most recent run of the node made by the most recent Fwd.
func (c *Model) Block() *layers.ODEBlock { return c.block }

// Fwd returns the logits (batch, Classes) for inputs x (batch, In) in x's graph.
func (c *Model) Fwd(x *G.Node) (*G.Node, error) {
	h, err := c.stem.Fwd(x)
	if err != nil {
		return nil, errors.Wrap(err, c.cfg.Name)
	}
	if c.block != nil {
		if h, err = c.block.Fwd(h); err != nil {
			return nil, errors.Wrap(err, c.cfg.Name)
		}
	}
	for _, f := range c.res {
		d, err := f.Fwd(h)
		if err != nil {
			return nil, errors.Wrap(err, c.cfg.Name)
		}
		if h, err = G.Add(h, d); err != nil {
			return nil, errors.Wrap(err, c.cfg.Name)
		}
	}
	return c.head.Fwd(h)
}

// Learnables returns every parameter node: the stem's, the body's, the head's.
func (c *Model) Learnables() G.Nodes {
	ns := append(G.Nodes{}, c.stem.Learnables()...)
	if c.f != nil {
		ns = append(ns, c.f.Params()...)
	}
	for _, f := range c.res {
		ns = append(ns, f.Params()...)
	}
	return append(ns, c.head.Learnables()...)
}

// NumParams returns the number of scalar parameters.
func (c *Model) NumParams() int {
	n := 0
	for _, p := range c.Learnables() {
		n += p.Shape().TotalSize()
	}
	return n
}

// Prediction is the output of Model.Predict.
type Prediction struct {
	Logits  []float64 // (n, Classes), row-major
	Classes []int     // the argmax of each row
	NFE     int       // evaluations of the ODE's forward solve (0 for the ResNet)
}

// Predict classifies the n = len(x)/In rows of x (row-major) with the classifier's
// current parameter values, in a private graph sized for n (so any number of rows works,
// independently of the batch size of a training graph).
func (c *Model) Predict(x []float64) (*Prediction, error) {
	in := c.cfg.In
	if len(x) == 0 || len(x)%in != 0 {
		return nil, errors.Wrapf(models.ErrConfig, "predict: %d values are not rows of %d features", len(x), in)
	}
	n := len(x) / in
	g := G.NewGraph()
	cp, err := New(g, c.kind, c.cfg)
	if err != nil {
		return nil, err
	}
	ck, err := models.Capture(c.Learnables(), nil)
	if err != nil {
		return nil, err
	}
	if err := ck.Restore(cp.Learnables(), nil); err != nil {
		return nil, err
	}
	xn := G.NewMatrix(g, tensor.Float64, G.WithShape(n, in), G.WithName(c.cfg.Name+".predict.x"),
		G.WithValue(tensor.New(tensor.WithShape(n, in), tensor.WithBacking(append([]float64(nil), x...)))))
	logits, err := cp.Fwd(xn)
	if err != nil {
		return nil, err
	}
	m := G.NewTapeMachine(g)
	defer m.Close()
	if err := m.RunAll(); err != nil {
		return nil, errors.Wrap(err, "predict")
	}
	p := &Prediction{Logits: append([]float64(nil), logits.Value().Data().([]float64)...), Classes: make([]int, n)}
	k := c.cfg.Classes
	for i := range p.Classes {
		row := p.Logits[i*k : i*k+k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		p.Classes[i] = best
	}
	if cp.block != nil {
		p.NFE, _ = cp.block.NFE()
	}
	return p, nil
}

// Save writes the classifier's learnables (and opt's state, unless opt is nil) to path,
// with its kind and configuration as metadata so that Load can rebuild it.
func (c *Model) Save(path string, opt models.Optimizer, meta map[string]string) error {
	cfg, err := json.Marshal(c.cfg)
	if err != nil {
		return errors.Wrap(err, "classify: save classifier")
	}
	m := map[string]string{models.MetaKind: c.kind, models.MetaConfig: string(cfg)}
	for k, v := range meta {
		if k != models.MetaKind && k != models.MetaConfig {
			m[k] = v
		}
	}
	return models.Save(path, c.Learnables(), opt, m)
}

// Restore loads the checkpoint at path into this classifier (and opt, unless nil): it
// must have been saved from a classifier of the same kind and shapes. On error nothing
// is changed.
func (c *Model) Restore(path string, opt models.Optimizer) (*models.Checkpoint, error) {
	ck, err := models.LoadFile(path)
	if err != nil {
		return nil, err
	}
	if k := ck.Meta[models.MetaKind]; k != "" && k != c.kind {
		return nil, errors.Wrapf(models.ErrMismatch, "%s: the checkpoint holds a model of kind %q, this one is %q", path, k, c.kind)
	}
	if err := ck.Restore(c.Learnables(), opt); err != nil {
		return nil, errors.Wrapf(err, "%s", path)
	}
	return ck, nil
}

// Load rebuilds in g the classifier saved at path by Model.Save and
// restores its values (and opt's state, unless opt is nil). The checkpoint is checked
// against a scratch copy of the model first, so on error g is left untouched.
func Load(g *G.ExprGraph, path string, opt models.Optimizer) (*Model, *models.Checkpoint, error) {
	ck, err := models.LoadFile(path)
	if err != nil {
		return nil, nil, err
	}
	kind := ck.Meta[models.MetaKind]
	var cfg Config
	if err := json.Unmarshal([]byte(ck.Meta[models.MetaConfig]), &cfg); err != nil {
		return nil, nil, errors.Wrapf(models.ErrMismatch, "%s: no classifier configuration in the metadata: %v", path, err)
	}
	scratch, err := New(G.NewGraph(), kind, cfg)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	// Restore checks everything (opt included) before it assigns anything; after it
	// succeeds on the scratch model, the real one cannot fail.
	if err := ck.Restore(scratch.Learnables(), opt); err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	c, err := New(g, kind, cfg)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	if err := ck.Restore(c.Learnables(), nil); err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	return c, ck, nil
}
