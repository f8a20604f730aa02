package odeop

import (
	"errors"
	"testing"
)

func TestTableausValidate(t *testing.T) {
	for _, m := range Methods() {
		tb, err := TableauOf(m)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if tb.Name != string(m) {
			t.Errorf("%s: tableau name %q", m, tb.Name)
		}
		if err := tb.Validate(); err != nil {
			t.Errorf("%s: %v", m, err)
		}
	}
	if _, err := TableauOf("rk45"); !errors.Is(err, ErrMethod) {
		t.Errorf("TableauOf(rk45) = %v, want ErrMethod", err)
	}
}
