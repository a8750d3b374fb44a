// Command initprobe is an empty program that links some of switchman's
// dependencies, chosen by build tags (probe_tls, probe_yaml, probe_zerolog,
// probe_cobra, probe_zk, probe_all): the bench times it against an empty
// Go program to price what each dependency's package initialisation and
// size add to every run's start.
package main

func main() {}
