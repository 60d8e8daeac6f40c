// Command xenolith is the Xenolith toolstack: `run` boots a domain in
// embedded mode; later commands follow xl's names.
package main

import "os"

func main() { os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr)) }
