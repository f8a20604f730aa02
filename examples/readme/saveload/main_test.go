package main

func Example() {
	main()
	// Output:
	// loaded the odenet model trained on "circle"; test accuracy above 90%: true
}
