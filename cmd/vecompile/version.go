package main

import (
	"fmt"
	"io"
	"runtime/debug"
)

// runVersion is 'vecompile version': the module version and the VCS
// revision the binary was built from, as the Go build info records them.
func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "vecompile version takes no arguments\n")
		return 2
	}
	fmt.Fprintln(stdout, versionText(debug.ReadBuildInfo()))
	return 0
}

func versionText(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return "vecompile (no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	out := "vecompile " + version
	if rev := settings["vcs.revision"]; rev != "" {
		out += " " + rev
		if settings["vcs.modified"] == "true" {
			out += "+dirty"
		}
		if t := settings["vcs.time"]; t != "" {
			out += " (" + t + ")"
		}
	}
	return out + " " + bi.GoVersion
}
