package main

func Example() {
	main()
	// Output:
	// negative log-likelihood fell: true
	// samples: 1000 finite log p: true
}
