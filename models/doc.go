// Package models holds continuous-depth models built from Gorgonia layers and
// layers.ODEBlock, and the saving and loading of any model's learnables.
//
// The pieces:
//
//   - Dense: a fully connected Gorgonia layer (x·W + b, then an activation), the small
//     layer kit the classifiers are made of.
//   - Classifier: an image classifier for flat inputs (the 8x8 digits): a dense stem,
//     a body and a dense head. NewODENet makes the body one ODEBlock (the ODE-Net of
//     Chen et al. 2018, section 3); NewResNet makes it a stack of residual blocks
//     z + f_k(z) (the paper's ResNet baseline), each f_k the same network as the ODE's
//     dynamics, so the ODE-Net has the parameters of one block. Fwd builds the logits
//     in any graph; Predict classifies rows of data in a private graph of their size;
//     Save, Restore and LoadClassifier (which rebuilds the model from the file alone)
//     store the kind and configuration with the weights.
//   - CrossEntropy: the mean softmax cross-entropy of logits against one-hot targets.
//   - Checkpoints: Capture, Save, Load and Checkpoint.Restore work on any list of
//     named nodes, in a versioned binary format with a magic header, names, shapes,
//     dtypes and a CRC-32C checksum. Restore checks everything before assigning
//     anything, so a truncated, foreign or mismatched file never leaves a half-loaded
//     model.
//   - Adam and RMSProp: gorgonia.Solver implementations whose state is exported
//     (Optimizer), so that a checkpoint holds it and training resumes exactly.
//     Gorgonia's own solvers keep their moment estimates unexported.
//
// References:
//
//   - Chen, Rubanova, Bettencourt, Duvenaud (2018), "Neural Ordinary Differential
//     Equations", NeurIPS.
//   - He, Zhang, Ren, Sun (2016), "Deep Residual Learning for Image Recognition".
//   - Kingma, Ba (2015), "Adam: A Method for Stochastic Optimization".
package models
