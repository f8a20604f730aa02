package main

func Example() {
	main()
	// Output:
	// theta 2.00, mu 0.50 (true: 2.00, 0.50)
	// mean squared error below 1e-4: true
}
