package rng

import "math"

// Ziggurat tables for the standard normal, 256 layers (Marsaglia, Tsang 2000). With
// f(x) = exp(-x^2/2), layer i (1 <= i <= 255) is the rectangle [0, zigX[i]] x
// [f(zigX[i]), f(zigX[i+1])]; layer 0 is the base strip [0, zigX[0]] x [0, f(R)],
// whose area V equals that of every layer and includes the tail beyond R.
const (
	zigR = 3.6541528853610088
	zigV = 4.92867323399e-3
)

var (
	zigX [257]float64
	zigF [257]float64
)

func init() {
	f := func(x float64) float64 { return math.Exp(-0.5 * x * x) }
	zigX[0] = zigV / f(zigR)
	zigX[1] = zigR
	for i := 2; i < 256; i++ {
		zigX[i] = math.Sqrt(-2 * math.Log(zigV/zigX[i-1]+f(zigX[i-1])))
	}
	zigX[256] = 0
	for i := range zigX {
		zigF[i] = f(zigX[i])
	}
}

// NormFloat64 returns a standard normal variate.
//
// Every variate consumes exactly one output of the stream: the rare draws that miss the
// ziggurat's fast path finish with uniforms from a sub-stream keyed by that output's
// counter, so the k-th variate of a stream is a function of k alone and FillNormal can
// fix its misses after a branch-light first pass.
func (s *Source) NormFloat64() float64 {
	s.state += wyP0
	st := s.state
	b := wymix(st)
	i := b & 0xff
	u := 2*math.Float64frombits(b>>12|0x3ff0000000000000) - 3 // [-1, 1)
	x := u * zigX[i]
	if math.Abs(x) < zigX[i+1] {
		return x
	}
	return normSlow(st, i, u, x)
}

// fillBlock is the number of variates FillNormal draws before it fixes their misses.
const fillBlock = 256

// FillNormal fills dst with standard normal variates: the numbers NormFloat64 would
// return, at about half the cost.
func (s *Source) FillNormal(dst []float64) {
	st := s.state
	var miss [fillBlock]uint16
	for len(dst) > 0 {
		blk := dst
		if len(blk) > fillBlock {
			blk = blk[:fillBlock]
		}
		nm := 0
		st0 := st
		for k := range blk {
			st += wyP0
			b := wymix(st)
			i := b & 0xff
			u := 2*math.Float64frombits(b>>12|0x3ff0000000000000) - 3
			x := u * zigX[i]
			blk[k] = x
			miss[nm&(fillBlock-1)] = uint16(k)
			if math.Abs(x) >= zigX[i+1] {
				nm++
			}
		}
		for _, k := range miss[:nm] {
			c := st0 + uint64(k+1)*wyP0
			b := wymix(c)
			i := b & 0xff
			u := 2*math.Float64frombits(b>>12|0x3ff0000000000000) - 3
			blk[k] = normSlow(c, i, u, blk[k])
		}
		dst = dst[len(blk):]
	}
	s.state = st
}

// normSlow finishes a draw that missed the fast path (counter c, layer i, signed uniform
// u, candidate x): the wedge test of layer i, the tail for layer 0, and fresh draws
// until one is accepted, all from the sub-stream keyed by c.
func normSlow(c uint64, i uint64, u, x float64) float64 {
	st := Mix64(c ^ 0x3c6ef372fe94f82b)
	uniform := func() float64 {
		st += wyP0
		return float64(wymix(st)>>11) * 0x1p-53
	}
	for {
		if i == 0 {
			// Tail beyond R (Marsaglia 1964), with uniforms in (0, 1].
			for {
				tx := -math.Log(1-uniform()) / zigR
				ty := -math.Log(1 - uniform())
				if ty+ty >= tx*tx {
					if u < 0 {
						return -(zigR + tx)
					}
					return zigR + tx
				}
			}
		}
		if zigF[i+1]+(zigF[i]-zigF[i+1])*uniform() < math.Exp(-0.5*x*x) {
			return x
		}
		st += wyP0
		b := wymix(st)
		i = b & 0xff
		u = 2*math.Float64frombits(b>>12|0x3ff0000000000000) - 3
		x = u * zigX[i]
		if math.Abs(x) < zigX[i+1] {
			return x
		}
	}
}
