// Package kernels holds the numerical inner loops of the dense layers: matrix products on
// row-major float64 slices and the elementwise functions of the activations, with
// AVX-512 and AVX2/FMA assembly on amd64 (chosen at run time from the CPU's features)
// and portable Go everywhere else (other architectures, CPUs without AVX2 and FMA, or the
// build tag purego).
//
// # Matrix products
//
// A dense layer y = x·W + b with x (batch×in) and W (in×out) needs three products:
//
//	forward   y  = x·W + b   MulNNBias (or MulNN)   (m×k)·(k×n)
//	backward  dW = xᵀ·g      MulTN                  (m×k)ᵀ·(m×n)
//	backward  dx = g·Wᵀ      MulNT                  (m×n)·(k×n)ᵀ
//
// and the bias gradient db = Σ_rows g (ColSums). All matrices are dense and row-major
// (element (i, j) of an r×c matrix is at i*c + j); slices may be longer than the matrix
// they hold, and only its first r*c elements are read or written. The destination
// comes first and must not overlap an operand; operands may overlap each other. A flag acc
// chooses between overwriting the destination and adding to it. Lengths shorter than
// the dimensions say, and negative dimensions, panic with a message that starts with
// "kernels:". Nothing allocates.
//
// The amd64 kernels keep a tile of C in vector registers (8 rows × 16 columns with
// AVX-512, 6 × 8 with AVX2) and sweep the inner dimension with one fused multiply-add per
// register and step, the scheme of Goto and van de Geijn ("Anatomy of high-performance
// matrix multiplication", ACM TOMS 34(3), 2008) without the packing, which the small
// matrices of a dynamics network do not repay; only A·Bᵀ packs Bᵀ, one column panel at a
// time, into a buffer on the stack. The last 1 to 7 columns take kernels of exactly their
// width (chunks of 4, 2 and 1 doubles): masked loads and stores would be simpler, but one
// whose masked-off lanes lie across a page boundary costs thousands of cycles on the AMD
// Zen 5 we measured, and a matrix can end anywhere.
//
// # Elementwise functions
//
// Exp, Tanh, Sigmoid and Softplus evaluate their functions over slices, a few ulp from
// the correctly rounded result (the tests measure the maximum over a dense grid and the
// special values). They use no tables, so that one vector of arguments is one vector of
// instructions: exp(x) = 2^k·p(r) with x = k·ln2 + r, |r| ≤ ln2/2 and p a polynomial of
// degree 11 close to the minimax one; tanh is expm1(2|x|)/(expm1(2|x|) + 2) with the sign
// of x, softplus is max(x, 0) + log1p(e^-|x|) (and x itself above 20, as PyTorch has it)
// with log1p in fdlibm's form but without its argument reduction (e^-|x| lies in [0, 1]), and sigmoid is 1/(1 + e^-x). Arguments outside the
// range the vector code covers (NaN, and the few where exp overflows or underflows to
// subnormals) send their vector to the scalar code, which executes the same operations
// (so that a result never depends on the path that computed it) and scales the
// exponential with math.Ldexp where it must.
//
// # Paths
//
// On amd64 the AVX-512 kernels run where the CPU and the operating system support
// AVX-512F, the AVX2 ones where they support AVX2 and FMA; the build tag purego, any other
// architecture or an older CPU leave the portable Go loops (the tests run every path the
// machine has).
package kernels
