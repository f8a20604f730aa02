// Package classify holds image and vector classifiers built of continuous-depth and
// residual blocks.
package classify

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/continuum-ml/continuum/layers"
	"github.com/continuum-ml/continuum/models"
	"github.com/continuum-ml/continuum/odeop"
)

// ErrConvConfig reports an invalid ConvConfig or input.
var ErrConvConfig = errors.New("classify: invalid convolutional classifier")

// ConvModel names one of the three networks of Chen et al. 2018, Table 1.
type ConvModel string

// The models. All share the downsampling of torchdiffeq's examples/odenet_mnist.py
// (Conv2d 1->64 3x3, GroupNorm, ReLU, Conv2d 64->64 4x4 stride 2 padding 1, GroupNorm,
// ReLU, Conv2d 64->64 4x4 stride 2 padding 1: 28x28 to 64x6x6) and its head (GroupNorm,
// ReLU, global average pool, Linear 64->10); GroupNorm has min(32, channels) groups.
const (
	// ConvODENet is the ODE block f = GroupNorm, ReLU, ConcatConv2d 3x3, GroupNorm, ReLU,
	// ConcatConv2d 3x3, GroupNorm integrated over [0, 1] by dopri5, gradients by the
	// adjoint: 208,266 parameters.
	ConvODENet ConvModel = "odenet"
	// ConvRKNet is the same network with gradients by backpropagation through the
	// Runge-Kutta steps (odeop.Checkpoint).
	ConvRKNet ConvModel = "rknet"
	// ConvResNet replaces the ODE block by six residual blocks x + f(x), f = GroupNorm,
	// ReLU, Conv2d 3x3 (no bias), GroupNorm, ReLU, Conv2d 3x3 (no bias): 576,778
	// parameters.
	ConvResNet ConvModel = "resnet"
)

// ConvConfig configures a ConvClassifier.
type ConvConfig struct {
	Model ConvModel
	// Batch is the number of images per run of the graph.
	Batch int
	// Seed seeds the initial parameters (PyTorch's default initialisation).
	Seed uint64
	// RTol and ATol are the ODE block's tolerances (both forward and adjoint); zero means
	// torchdiffeq's example's 1e-3.
	RTol, ATol float64
	// TorchSteps selects torchdiffeq's step sequence (odeop.Dopri5Shampine with
	// odeop.TorchdiffeqController) instead of odeop's default dopri5 and controller.
	TorchSteps bool
}

// MNISTClasses and MNISTPixels are the output and input widths of the classifiers.
const (
	MNISTClasses = 10
	MNISTPixels  = 28 * 28
)

// ConvClassifier is one of the networks of ConvModel as a Gorgonia graph for batches of
// Batch images (flat 28x28 rows, values in [0, 1]) with one-hot targets, the mean
// cross-entropy and its gradients with respect to every learnable node.
type ConvClassifier struct {
	cfg     ConvConfig
	g       *G.ExprGraph
	x, y    *G.Node
	xv, yv  *tensor.Dense
	logits  *G.Node
	loss    *G.Node
	params  G.Nodes
	block   *layers.ODEBlock
	vm      G.VM
	grads   bool
	lossVal G.Value
}

// NewConvClassifier builds the network of cfg.Model. With grads, the graph also holds
// the gradient of the loss (for training); without, only the forward pass (for
// evaluation).
func NewConvClassifier(cfg ConvConfig, grads bool) (*ConvClassifier, error) {
	if cfg.Batch < 1 {
		return nil, errors.Wrapf(ErrConvConfig, "batch size %d", cfg.Batch)
	}
	if cfg.RTol == 0 {
		cfg.RTol = 1e-3
	}
	if cfg.ATol == 0 {
		cfg.ATol = 1e-3
	}
	if !(cfg.RTol > 0) || !(cfg.ATol > 0) {
		return nil, errors.Wrapf(ErrConvConfig, "tolerances rtol %g, atol %g", cfg.RTol, cfg.ATol)
	}
	switch cfg.Model {
	case ConvODENet, ConvRKNet, ConvResNet:
	default:
		return nil, errors.Wrapf(ErrConvConfig, "model %q (want odenet, rknet or resnet)", string(cfg.Model))
	}
	c := &ConvClassifier{cfg: cfg, g: G.NewGraph(), grads: grads}
	B := cfg.Batch
	c.xv = tensor.New(tensor.WithShape(B, MNISTPixels), tensor.WithBacking(make([]float64, B*MNISTPixels)))
	c.yv = tensor.New(tensor.WithShape(B, MNISTClasses), tensor.WithBacking(make([]float64, B*MNISTClasses)))
	c.x = G.NewMatrix(c.g, tensor.Float64, G.WithShape(B, MNISTPixels), G.WithName("x"), G.WithValue(c.xv))
	c.y = G.NewMatrix(c.g, tensor.Float64, G.WithShape(B, MNISTClasses), G.WithName("y"), G.WithValue(c.yv))
	if err := c.build(); err != nil {
		return nil, err
	}
	if grads {
		if _, err := G.Grad(c.loss, c.params...); err != nil {
			return nil, errors.Wrap(err, "classify: gradient")
		}
		c.vm = G.NewTapeMachine(c.g, G.BindDualValues(c.params...))
	} else {
		c.vm = G.NewTapeMachine(c.g)
	}
	return c, nil
}

func gn(c int) layers.ConvLayer { return layers.GroupNorm(min(32, c)) }

func (c *ConvClassifier) build() error {
	const ch = 64
	seed := c.cfg.Seed
	down, err := layers.NewConvNet(c.g, "down", layers.ConvSpec{C: 1, H: 28, W: 28, Seed: seed, Layers: []layers.ConvLayer{
		layers.Conv2d(ch, 3, 1, 0), gn(ch), layers.ReLU(),
		layers.Conv2d(ch, 4, 2, 1), gn(ch), layers.ReLU(),
		layers.Conv2d(ch, 4, 2, 1)}})
	if err != nil {
		return err
	}
	c.params = append(c.params, down.Params()...)
	h, err := down.Fwd(c.x)
	if err != nil {
		return err
	}
	switch c.cfg.Model {
	case ConvODENet, ConvRKNet:
		f, err := layers.NewConvNet(c.g, "f", layers.ConvSpec{C: ch, H: 6, W: 6, Seed: seed + 1, Layers: []layers.ConvLayer{
			gn(ch), layers.ReLU(), layers.ConcatConv2d(ch, 3, 1, 1),
			gn(ch), layers.ReLU(), layers.ConcatConv2d(ch, 3, 1, 1), gn(ch)}})
		if err != nil {
			return err
		}
		gm := odeop.Adjoint
		if c.cfg.Model == ConvRKNet {
			gm = odeop.Checkpoint
		}
		opts := []odeop.Option{odeop.WithMethod(odeop.Dopri5), odeop.WithTol(c.cfg.RTol, c.cfg.ATol), odeop.WithGradient(gm)}
		if gm == odeop.Adjoint { // the backward solve's tolerances; Checkpoint has none (odeop refuses them there)
			opts = append(opts, odeop.WithAdjointTol(c.cfg.RTol, c.cfg.ATol))
		}
		if c.cfg.TorchSteps {
			opts = append(opts, odeop.WithMethod(odeop.Dopri5Shampine), odeop.WithController(odeop.TorchdiffeqController()))
		}
		c.block = layers.NewODEBlock(f, opts...)
		c.params = append(c.params, f.Params()...)
		if h, err = c.block.Fwd(h); err != nil {
			return err
		}
	case ConvResNet:
		for i := 0; i < 6; i++ {
			blk, err := layers.NewConvNet(c.g, fmt.Sprintf("res%d", i), layers.ConvSpec{C: ch, H: 6, W: 6, Seed: seed + 10 + uint64(i),
				Layers: []layers.ConvLayer{gn(ch), layers.ReLU(), conv3x3(ch), gn(ch), layers.ReLU(), conv3x3(ch)}})
			if err != nil {
				return err
			}
			c.params = append(c.params, blk.Params()...)
			r, err := blk.Fwd(h)
			if err != nil {
				return err
			}
			if h, err = G.Add(h, r); err != nil {
				return errors.Wrap(err, "classify: residual")
			}
		}
	}
	head, err := layers.NewConvNet(c.g, "head", layers.ConvSpec{C: ch, H: 6, W: 6, Layers: []layers.ConvLayer{gn(ch), layers.ReLU(), layers.AvgPool()}})
	if err != nil {
		return err
	}
	c.params = append(c.params, head.Params()...)
	if h, err = head.Fwd(h); err != nil {
		return err
	}
	// Linear 64 -> 10, PyTorch's initialisation U(±1/sqrt(64)) for W and b
	rng := rand.New(rand.NewPCG(seed, 1000))
	a := 1 / math.Sqrt(ch)
	wv := make([]float64, ch*MNISTClasses)
	bv := make([]float64, MNISTClasses)
	for _, s := range [][]float64{wv, bv} {
		for i := range s {
			s[i] = a * (2*rng.Float64() - 1)
		}
	}
	W := G.NewMatrix(c.g, tensor.Float64, G.WithShape(ch, MNISTClasses), G.WithName("fc.W"),
		G.WithValue(tensor.New(tensor.WithShape(ch, MNISTClasses), tensor.WithBacking(wv))))
	b := G.NewVector(c.g, tensor.Float64, G.WithShape(MNISTClasses), G.WithName("fc.b"),
		G.WithValue(tensor.New(tensor.WithShape(MNISTClasses), tensor.WithBacking(bv))))
	c.params = append(c.params, W, b)
	hw, err := G.Mul(h, W)
	if err != nil {
		return errors.Wrap(err, "classify: linear")
	}
	if c.logits, err = G.BroadcastAdd(hw, b, nil, []byte{0}); err != nil {
		return errors.Wrap(err, "classify: linear bias")
	}
	if c.loss, err = models.CrossEntropy(c.logits, c.y); err != nil {
		return err
	}
	G.Read(c.loss, &c.lossVal)
	return nil
}

func conv3x3(c int) layers.ConvLayer {
	l := layers.Conv2d(c, 3, 1, 1)
	l.NoBias = true
	return l
}

// Close releases the graph's machine.
func (c *ConvClassifier) Close() { c.vm.Close() }

// Config returns the configuration (with the defaults filled in).
func (c *ConvClassifier) Config() ConvConfig { return c.cfg }

// Learnables returns the parameter nodes, in a fixed order.
func (c *ConvClassifier) Learnables() G.Nodes { return c.params }

// NumParams returns the number of scalar parameters.
func (c *ConvClassifier) NumParams() int {
	n := 0
	for _, p := range c.params {
		n += p.Shape().TotalSize()
	}
	return n
}

// Block returns the ODE block (nil for the ResNet).
func (c *ConvClassifier) Block() *layers.ODEBlock { return c.block }

// CopyParams sets the parameter values to those of src (a classifier of the same model).
func (c *ConvClassifier) CopyParams(src *ConvClassifier) error {
	if len(src.params) != len(c.params) || src.cfg.Model != c.cfg.Model {
		return errors.Wrapf(ErrConvConfig, "copy parameters of a %s into a %s", src.cfg.Model, c.cfg.Model)
	}
	for i, p := range c.params {
		copy(p.Value().Data().([]float64), src.params[i].Value().Data().([]float64))
	}
	return nil
}

// Run runs the graph on the images x (Batch rows of MNISTPixels) with labels (Batch
// digits; nil for no loss, which is then 0). It returns the mean cross-entropy; the
// logits are then in Logits and, for a training graph, the gradients accumulate in the
// learnables' gradients (a step of ConvSGD uses and clears them).
func (c *ConvClassifier) Run(x []float64, labels []int) (float64, error) {
	B := c.cfg.Batch
	if len(x) != B*MNISTPixels {
		return 0, errors.Wrapf(ErrConvConfig, "%d pixel values, want %d x %d", len(x), B, MNISTPixels)
	}
	copy(c.xv.Data().([]float64), x)
	yv := c.yv.Data().([]float64)
	clear(yv)
	if labels != nil {
		if len(labels) != B {
			return 0, errors.Wrapf(ErrConvConfig, "%d labels, want %d", len(labels), B)
		}
		for i, l := range labels {
			if l < 0 || l >= MNISTClasses {
				return 0, errors.Wrapf(ErrConvConfig, "label %d of image %d", l, i)
			}
			yv[i*MNISTClasses+l] = 1
		}
	}
	c.vm.Reset()
	if err := c.vm.RunAll(); err != nil {
		return 0, errors.Wrap(odeop.Cause(err), "classify: run")
	}
	if labels == nil {
		return 0, nil
	}
	return c.lossVal.Data().(float64), nil
}

// Logits returns the logits of the last Run (Batch x MNISTClasses, row-major; the
// graph's value, valid until the next Run).
func (c *ConvClassifier) Logits() []float64 { return c.logits.Value().Data().([]float64) }

// ConvSGD is stochastic gradient descent with momentum as PyTorch's torch.optim.SGD
// (v = mu v + g, w -= lr v), the optimiser of torchdiffeq's odenet_mnist.py. It clears
// the gradients it used.
type ConvSGD struct {
	LR, Momentum float64
	v            map[*G.Node][]float64
}

// Step updates the nodes from their gradients.
func (s *ConvSGD) Step(nodes G.Nodes) error {
	if s.v == nil {
		s.v = map[*G.Node][]float64{}
	}
	for _, n := range nodes {
		gv, err := n.Grad()
		if err != nil {
			return errors.Wrapf(err, "sgd: %s has no gradient", n.Name())
		}
		w, ok1 := n.Value().Data().([]float64)
		g, ok2 := gv.Data().([]float64)
		if !ok1 || !ok2 || len(w) != len(g) {
			return errors.Wrapf(ErrConvConfig, "sgd: %s: float64 value and gradient of one size needed", n.Name())
		}
		v := s.v[n]
		if v == nil {
			v = make([]float64, len(w))
			s.v[n] = v
		}
		for i, gi := range g {
			v[i] = s.Momentum*v[i] + gi
			w[i] -= s.LR * v[i]
		}
		clear(g)
	}
	return nil
}
