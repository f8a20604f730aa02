// Package classify holds image classifiers for flat inputs (such as the 8x8 digits):
// a dense stem, a body and a dense head. NewODENet makes the body one layers.ODEBlock
// (the ODE-Net of Chen et al. 2018, section 3); NewResNet makes it a stack of residual
// blocks z + f_k(z) (the paper's ResNet baseline), each f_k the same network as the ODE's
// dynamics, so the ODE-Net has the parameters of one block.
//
// Model.Fwd builds the logits in any graph; Model.Predict classifies rows of data in a
// private graph of their size; Model.Save, Model.Restore and Load (which rebuilds the
// model from the file alone) store the kind and configuration with the weights.
//
//	g := G.NewGraph()
//	net, err := classify.NewODENet(g, classify.Config{In: 64})
//	logits, err := net.Fwd(x)                        // x: (batch, 64)
//	loss, err := models.CrossEntropy(logits, onehot) // then G.Grad(loss, net.Learnables()...)
//
// References:
//
//   - Chen, Rubanova, Bettencourt, Duvenaud (2018), "Neural Ordinary Differential
//     Equations", NeurIPS.
//   - He, Zhang, Ren, Sun (2016), "Deep Residual Learning for Image Recognition".
package classify
