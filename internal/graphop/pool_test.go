package graphop

import "testing"

func TestPool(t *testing.T) {
	p := Pool[int, *int]{Max: 2}
	if _, ok := p.Get(3); ok {
		t.Fatal("empty pool gave an evaluator")
	}
	a, b, c := new(int), new(int), new(int)
	p.Put(3, a)
	p.Put(3, b)
	p.Put(3, c) // over Max: dropped
	p.Put(4, c)
	if e, ok := p.Get(3); !ok || e != b {
		t.Fatalf("Get(3) = %p, %v; want the last put, %p", e, ok, b)
	}
	if e, ok := p.Get(3); !ok || e != a {
		t.Fatalf("Get(3) = %p, %v; want %p", e, ok, a)
	}
	if _, ok := p.Get(3); ok {
		t.Fatal("a third evaluator of key 3: Max was not applied")
	}
	if e, ok := p.Get(4); !ok || e != c {
		t.Fatalf("Get(4) = %p, %v; want %p", e, ok, c)
	}
	var u Pool[[2]int, int] // Max 0: no bound
	for i := 0; i < 10; i++ {
		u.Put([2]int{1, 2}, i)
	}
	for i := 9; i >= 0; i-- {
		if e, ok := u.Get([2]int{1, 2}); !ok || e != i {
			t.Fatalf("unbounded pool: Get = %d, %v; want %d", e, ok, i)
		}
	}
}
