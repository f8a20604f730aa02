package latent

import (
	"encoding/json"
	"github.com/continuum-ml/continuum/models"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// Saving and loading the latent models through the checkpoints of this package (Save,
// LoadFile, Checkpoint.Restore): the learnables with the model's kind and configuration
// as metadata. Solver options (ODEConfig.Encoder and Decoder, RNNConfig.Transition)
// are functions and are not saved: a loaded model has the default ones unless the
// caller builds it with its own configuration and uses Restore.

// The kinds of the latent models in checkpoint metadata.
const (
	KindODE    = "latentode"
	KindODERNN = "odernn"
	KindRNNDt  = "rnndt"
	KindSDE    = "latentsde"
)

func latSave(path, kind string, cfg interface{}, nodes G.Nodes, opt models.Optimizer, meta map[string]string) error {
	js, err := json.Marshal(cfg)
	if err != nil {
		return errors.Wrapf(err, "latent: save %s", kind)
	}
	m := map[string]string{models.MetaKind: kind, models.MetaConfig: string(js)}
	for k, v := range meta {
		if k != models.MetaKind && k != models.MetaConfig {
			m[k] = v
		}
	}
	return models.Save(path, nodes, opt, m)
}

func latRestore(path, kind string, nodes G.Nodes, opt models.Optimizer) (*models.Checkpoint, error) {
	ck, err := models.LoadFile(path)
	if err != nil {
		return nil, err
	}
	if k := ck.Meta[models.MetaKind]; k != kind {
		return nil, errors.Wrapf(models.ErrMismatch, "%s: the checkpoint holds a model of kind %q, not %q", path, k, kind)
	}
	if err := ck.Restore(nodes, opt); err != nil {
		return nil, errors.Wrapf(err, "%s", path)
	}
	return ck, nil
}

// latLoad reads the checkpoint at path, checks its kind and decodes its configuration
// into cfg.
func latLoad(path, kind string, cfg interface{}) (*models.Checkpoint, error) {
	ck, err := models.LoadFile(path)
	if err != nil {
		return nil, err
	}
	if k := ck.Meta[models.MetaKind]; k != kind {
		return nil, errors.Wrapf(models.ErrMismatch, "%s: the checkpoint holds a model of kind %q, not %q", path, k, kind)
	}
	if err := json.Unmarshal([]byte(ck.Meta[models.MetaConfig]), cfg); err != nil {
		return nil, errors.Wrapf(models.ErrMismatch, "%s: no %s configuration in the metadata: %v", path, kind, err)
	}
	return ck, nil
}

// Save writes the model's learnables (and opt's state, unless nil: an Optimizer of this
// package used as TrainConfig.Optimizer) to path with its configuration, so that
// LoadODE rebuilds it.
func (m *ODE) Save(path string, opt models.Optimizer, meta map[string]string) error {
	return latSave(path, KindODE, m.cfg, m.Learnables(), opt, meta)
}

// Restore loads the checkpoint at path, saved from a latent ODE of the same shapes, into
// this model (and opt, unless nil). On error nothing is changed.
func (m *ODE) Restore(path string, opt models.Optimizer) (*models.Checkpoint, error) {
	return latRestore(path, KindODE, m.Learnables(), opt)
}

// LoadODE rebuilds the latent ODE saved at path by ODE.Save (with the
// default solver options) and restores its values (and opt's state, unless nil).
func LoadODE(path string, opt models.Optimizer) (*ODE, *models.Checkpoint, error) {
	var cfg ODEConfig
	if _, err := latLoad(path, KindODE, &cfg); err != nil {
		return nil, nil, err
	}
	m, err := NewODE(cfg)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	ck, err := m.Restore(path, opt)
	return m, ck, err
}

func (s *latSeq) kind() string {
	if s.ode {
		return KindODERNN
	}
	return KindRNNDt
}

// Save writes the model's learnables (and opt's state, unless nil) to path with its
// configuration, so that LoadODERNN or LoadRNNDt rebuilds it.
func (s *latSeq) Save(path string, opt models.Optimizer, meta map[string]string) error {
	return latSave(path, s.kind(), s.cfg, s.Learnables(), opt, meta)
}

// Restore loads the checkpoint at path, saved from a model of the same kind and shapes,
// into this model (and opt, unless nil). On error nothing is changed.
func (s *latSeq) Restore(path string, opt models.Optimizer) (*models.Checkpoint, error) {
	return latRestore(path, s.kind(), s.Learnables(), opt)
}

// LoadODERNN rebuilds the ODE-RNN saved at path (with the default solver options) and
// restores its values (and opt's state, unless nil).
func LoadODERNN(path string, opt models.Optimizer) (*ODERNN, *models.Checkpoint, error) {
	var cfg RNNConfig
	if _, err := latLoad(path, KindODERNN, &cfg); err != nil {
		return nil, nil, err
	}
	m, err := NewODERNN(cfg)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	ck, err := m.Restore(path, opt)
	return m, ck, err
}

// LoadRNNDt rebuilds the RNN-Δt saved at path and restores its values (and opt's state,
// unless nil).
func LoadRNNDt(path string, opt models.Optimizer) (*RNNDt, *models.Checkpoint, error) {
	var cfg RNNConfig
	if _, err := latLoad(path, KindRNNDt, &cfg); err != nil {
		return nil, nil, err
	}
	m, err := NewRNNDt(cfg)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	ck, err := m.Restore(path, opt)
	return m, ck, err
}

// Save writes the model's learnables (and opt's state, unless nil) to path with its
// configuration, so that LoadSDE rebuilds it.
func (m *SDE) Save(path string, opt models.Optimizer, meta map[string]string) error {
	return latSave(path, KindSDE, m.cfg, m.Learnables(), opt, meta)
}

// Restore loads the checkpoint at path, saved from a latent SDE of the same shapes, into
// this model (and opt, unless nil). On error nothing is changed.
func (m *SDE) Restore(path string, opt models.Optimizer) (*models.Checkpoint, error) {
	return latRestore(path, KindSDE, m.Learnables(), opt)
}

// LoadSDE rebuilds the latent SDE saved at path by SDE.Save and restores its
// values (and opt's state, unless nil).
func LoadSDE(path string, opt models.Optimizer) (*SDE, *models.Checkpoint, error) {
	var cfg SDEConfig
	if _, err := latLoad(path, KindSDE, &cfg); err != nil {
		return nil, nil, err
	}
	m, err := NewSDE(cfg)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	ck, err := m.Restore(path, opt)
	return m, ck, err
}
