// Package physionet reads the PhysioNet/CinC Challenge 2012 ICU records and trains
// continuous-time models on them: in-hospital mortality from the first 48 hours and
// interpolation of the observed values, the experiment of Rubanova, Chen, Duvenaud,
// "Latent ODEs for Irregularly-Sampled Time Series", NeurIPS 2019 (Section 4.3, Table 6).
//
// The data format is one measurement per line, "record_id,minute,parameter,value"
// (minutes since ICU admission, 0..2880), with the outcomes in a second file
// "RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death". ReadRecords and
// ReadOutcomes parse them with file-and-line errors; Join pairs them; Split makes a
// seeded stratified train/validation/test split; FitNormaliser computes min-max
// statistics on the training records only; Prepare quantises the times and builds each
// patient's own observation grid with a mask of the observed values.
//
// The models (Model, with kinds ODERNN, RNNDt and LatentODE) run a batch in which every
// row advances through its own observation times. Until the solver has per-row solves,
// GapScaled maps each row's interval between consecutive observations onto the unit
// interval (dz/ds = Δt_r f(z), s in [0, 1]), so that one odeop.Solve per observation index
// serves the whole batch; see GapScaled.
//
// References:
//   - I. Silva, G. Moody, D. J. Scott, L. A. Celi, R. G. Mark, "Predicting In-Hospital
//     Mortality of ICU Patients: The PhysioNet/Computing in Cardiology Challenge 2012",
//     Computing in Cardiology 39 (2012).
//   - Y. Rubanova, R. T. Q. Chen, D. Duvenaud, "Latent ODEs for Irregularly-Sampled Time
//     Series", NeurIPS 2019 (and their physionet.py, whose parameter list this package uses).
//   - K. Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder", 2014 (GRU).
package physionet
