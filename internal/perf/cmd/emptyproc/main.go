// Command emptyproc does nothing: its run time is the floor of any Go process on the
// machine, the start-up and exit every dispatch pays before charm or tracing code runs.
package main

func main() {}
