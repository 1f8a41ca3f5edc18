package main

import "flag"

// parseFlags parses args with flags accepted before and after the
// positional arguments (`vecompile sql q.xml --dialect mysql`), as users
// type them; "--" ends the flags. Afterwards fs.Args() holds the
// positional arguments in order.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}
