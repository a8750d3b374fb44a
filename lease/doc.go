// Package lease reads the --lease command line: RESOURCE=COUNT:TOTAL specs,
// the original switchman's macros (CPU, FQDN, MEMMB) and the small integer
// expressions COUNT and TOTAL may be written in.
//
// Expressions are evaluated by a tokenizer and a recursive-descent parser
// of this package, never by a general-purpose evaluator: the only things
// accepted are decimal numbers, the macros CPU and MEMMB, the operators
// + - * /, parentheses and int(). Arithmetic is exact (rational), so
// "MEMMB/1024" is a fraction until int() truncates it, as in the original.
//
// The package knows nothing about ZooKeeper: it turns flags into
// [Lease] values in the one global order that the lock package then takes
// them in.
package lease
