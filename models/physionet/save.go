package physionet

import (
	"encoding/json"
	"strconv"

	"github.com/pkg/errors"

	"github.com/continuum-ml/continuum/models"
)

// The metadata keys of a saved model.
const (
	metaKind    = "physionet.kind"
	metaConfig  = "physionet.config"
	metaNorm    = "physionet.normaliser"
	metaQuantum = "physionet.quantum"
)

// Save writes the model's parameters (and opt's state, unless nil) with what evaluating
// other data needs: the configuration, the training normaliser and the quantisation in
// minutes. meta adds free-form entries.
func (m *Model) Save(path string, norm *Normaliser, quantum int, opt models.Optimizer, meta map[string]string) error {
	if err := norm.Check(); err != nil {
		return err
	}
	cj, err := json.Marshal(m.cfg)
	if err != nil {
		return errors.Wrap(err, "save config")
	}
	nj, err := json.Marshal(norm)
	if err != nil {
		return errors.Wrap(err, "save normaliser")
	}
	all := map[string]string{metaKind: string(m.cfg.Kind), metaConfig: string(cj), metaNorm: string(nj), metaQuantum: strconv.Itoa(quantum)}
	for k, v := range meta {
		if _, taken := all[k]; taken {
			return errors.Wrapf(ErrConfig, "save: metadata key %q is the package's own", k)
		}
		all[k] = v
	}
	var o models.Optimizer
	if opt != nil {
		o = opt
	}
	return models.Save(path, m.Learnables(), o, all)
}

// Load rebuilds a model saved by Save and returns it with its normaliser, its
// quantisation and the checkpoint (for its other metadata).
func Load(path string) (*Model, *Normaliser, int, *models.Checkpoint, error) {
	c, err := models.LoadFile(path)
	if err != nil {
		return nil, nil, 0, nil, err
	}
	var cfg Config
	if err := json.Unmarshal([]byte(c.Meta[metaConfig]), &cfg); err != nil {
		return nil, nil, 0, nil, errors.Wrapf(ErrData, "%s: not a saved PhysioNet model (configuration: %v)", path, err)
	}
	var norm Normaliser
	if err := json.Unmarshal([]byte(c.Meta[metaNorm]), &norm); err != nil {
		return nil, nil, 0, nil, errors.Wrapf(ErrData, "%s: normaliser: %v", path, err)
	}
	if err := norm.Check(); err != nil {
		return nil, nil, 0, nil, errors.Wrapf(err, "%s", path)
	}
	q, err := strconv.Atoi(c.Meta[metaQuantum])
	if err != nil || q < 1 || q > MaxMinute {
		return nil, nil, 0, nil, errors.Wrapf(ErrData, "%s: quantisation %q", path, c.Meta[metaQuantum])
	}
	m, err := NewModel(cfg)
	if err != nil {
		return nil, nil, 0, nil, errors.Wrapf(err, "%s", path)
	}
	if err := c.Restore(m.Learnables(), nil); err != nil {
		return nil, nil, 0, nil, errors.Wrapf(err, "%s", path)
	}
	return m, &norm, q, c, nil
}
