package main

func Example() {
	main()
	// Output:
	// grid of 13 times; loss fell: true
	// 3 sequences x 3 times; band around the mean: true
}
