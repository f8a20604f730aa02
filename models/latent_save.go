package models

import (
	"encoding/json"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// Saving and loading the latent models through the checkpoints of this package (Save,
// LoadFile, Checkpoint.Restore): the learnables with the model's kind and configuration
// as metadata. Solver options (LatentODEConfig.Encoder and Decoder, RNNConfig.Transition)
// are functions and are not saved: a loaded model has the default ones unless the
// caller builds it with its own configuration and uses Restore.

// The kinds of the latent models in checkpoint metadata.
const (
	KindLatentODE = "latentode"
	KindODERNN    = "odernn"
	KindRNNDt     = "rnndt"
	KindLatentSDE = "latentsde"
)

func latSave(path, kind string, cfg interface{}, nodes G.Nodes, opt Optimizer, meta map[string]string) error {
	js, err := json.Marshal(cfg)
	if err != nil {
		return errors.Wrapf(err, "models: save %s", kind)
	}
	m := map[string]string{MetaKind: kind, MetaConfig: string(js)}
	for k, v := range meta {
		if k != MetaKind && k != MetaConfig {
			m[k] = v
		}
	}
	return Save(path, nodes, opt, m)
}

func latRestore(path, kind string, nodes G.Nodes, opt Optimizer) (*Checkpoint, error) {
	ck, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	if k := ck.Meta[MetaKind]; k != kind {
		return nil, errors.Wrapf(ErrMismatch, "%s: the checkpoint holds a model of kind %q, not %q", path, k, kind)
	}
	if err := ck.Restore(nodes, opt); err != nil {
		return nil, errors.Wrapf(err, "%s", path)
	}
	return ck, nil
}

// latLoad reads the checkpoint at path, checks its kind and decodes its configuration
// into cfg.
func latLoad(path, kind string, cfg interface{}) (*Checkpoint, error) {
	ck, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	if k := ck.Meta[MetaKind]; k != kind {
		return nil, errors.Wrapf(ErrMismatch, "%s: the checkpoint holds a model of kind %q, not %q", path, k, kind)
	}
	if err := json.Unmarshal([]byte(ck.Meta[MetaConfig]), cfg); err != nil {
		return nil, errors.Wrapf(ErrMismatch, "%s: no %s configuration in the metadata: %v", path, kind, err)
	}
	return ck, nil
}

// Save writes the model's learnables (and opt's state, unless nil: an Optimizer of this
// package used as TrainConfig.Optimizer) to path with its configuration, so that
// LoadLatentODE rebuilds it.
func (m *LatentODE) Save(path string, opt Optimizer, meta map[string]string) error {
	return latSave(path, KindLatentODE, m.cfg, m.Learnables(), opt, meta)
}

// Restore loads the checkpoint at path, saved from a latent ODE of the same shapes, into
// this model (and opt, unless nil). On error nothing is changed.
func (m *LatentODE) Restore(path string, opt Optimizer) (*Checkpoint, error) {
	return latRestore(path, KindLatentODE, m.Learnables(), opt)
}

// LoadLatentODE rebuilds the latent ODE saved at path by LatentODE.Save (with the
// default solver options) and restores its values (and opt's state, unless nil).
func LoadLatentODE(path string, opt Optimizer) (*LatentODE, *Checkpoint, error) {
	var cfg LatentODEConfig
	if _, err := latLoad(path, KindLatentODE, &cfg); err != nil {
		return nil, nil, err
	}
	m, err := NewLatentODE(cfg)
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
func (s *latSeq) Save(path string, opt Optimizer, meta map[string]string) error {
	return latSave(path, s.kind(), s.cfg, s.Learnables(), opt, meta)
}

// Restore loads the checkpoint at path, saved from a model of the same kind and shapes,
// into this model (and opt, unless nil). On error nothing is changed.
func (s *latSeq) Restore(path string, opt Optimizer) (*Checkpoint, error) {
	return latRestore(path, s.kind(), s.Learnables(), opt)
}

// LoadODERNN rebuilds the ODE-RNN saved at path (with the default solver options) and
// restores its values (and opt's state, unless nil).
func LoadODERNN(path string, opt Optimizer) (*ODERNN, *Checkpoint, error) {
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
func LoadRNNDt(path string, opt Optimizer) (*RNNDt, *Checkpoint, error) {
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
// configuration, so that LoadLatentSDE rebuilds it.
func (m *LatentSDE) Save(path string, opt Optimizer, meta map[string]string) error {
	return latSave(path, KindLatentSDE, m.cfg, m.Learnables(), opt, meta)
}

// Restore loads the checkpoint at path, saved from a latent SDE of the same shapes, into
// this model (and opt, unless nil). On error nothing is changed.
func (m *LatentSDE) Restore(path string, opt Optimizer) (*Checkpoint, error) {
	return latRestore(path, KindLatentSDE, m.Learnables(), opt)
}

// LoadLatentSDE rebuilds the latent SDE saved at path by LatentSDE.Save and restores its
// values (and opt's state, unless nil).
func LoadLatentSDE(path string, opt Optimizer) (*LatentSDE, *Checkpoint, error) {
	var cfg LatentSDEConfig
	if _, err := latLoad(path, KindLatentSDE, &cfg); err != nil {
		return nil, nil, err
	}
	m, err := NewLatentSDE(cfg)
	if err != nil {
		return nil, nil, errors.Wrapf(err, "%s", path)
	}
	ck, err := m.Restore(path, opt)
	return m, ck, err
}
