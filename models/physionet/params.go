package physionet

// Parameters are the measured variables, in the order of the columns of a patient's value
// matrix: the list of Rubanova et al.'s physionet.py without ICUType (absent from the
// record files this package reads). Age, Gender, Height and Weight are the static
// descriptors recorded at minute 0 (Weight is also measured later).
var Parameters = []string{
	"Age", "Gender", "Height", "Weight", "Albumin", "ALP", "ALT", "AST", "Bilirubin", "BUN",
	"Cholesterol", "Creatinine", "DiasABP", "FiO2", "GCS", "Glucose", "HCO3", "HCT", "HR", "K",
	"Lactate", "Mg", "MAP", "MechVent", "Na", "NIDiasABP", "NIMAP", "NISysABP", "PaCO2", "PaO2",
	"pH", "Platelets", "RespRate", "SaO2", "SysABP", "Temp", "TroponinI", "TroponinT", "Urine", "WBC",
}

// NumParameters is len(Parameters), the width D of a patient's value matrix.
const NumParameters = 40

// MaxMinute is the end of the observation window, 48 hours after admission.
const MaxMinute = 2880

var paramIndex = func() map[string]int {
	m := make(map[string]int, len(Parameters))
	for i, p := range Parameters {
		m[p] = i
	}
	return m
}()

// staticParams are the descriptors for which -1 at minute 0 means unknown.
var staticParams = map[string]bool{"Age": true, "Gender": true, "Height": true, "Weight": true}

// ParameterIndex returns the column of a parameter name, or -1 when it is not one of
// Parameters.
func ParameterIndex(name string) int {
	if i, ok := paramIndex[name]; ok {
		return i
	}
	return -1
}
