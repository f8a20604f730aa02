package main

func Example() {
	main()
	// Output:
	// loss fell 10x: true
	// mean within 0.1 and standard deviation within 0.05 of the truth at every time: true
}
