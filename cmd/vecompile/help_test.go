package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Each command's -h names the command, gives an example and lists its own
// flags only.
func TestCommandHelp(t *testing.T) {
	cases := []struct {
		args        []string
		has, hasNot []string
	}{
		{[]string{"exec", "-h"}, []string{"Usage: vecompile exec", "Example", "-format"}, []string{"-dialect"}},
		{[]string{"sql", "-h"}, []string{"Usage: vecompile sql", "Example", "-dialect"}, []string{"-format"}},
		{[]string{"plan", "-h"}, []string{"Usage: vecompile plan", "Example", "-user"}, []string{"-dialect", "-format"}},
		{[]string{"convert", "-h"}, []string{"Usage: vecompile convert", "Example", "-to"}, nil},
		{[]string{"odata", "-h"}, []string{"Usage: vecompile odata", "Example", "-flavor"}, []string{"Usage of vecompile convert", "Usage: vecompile convert"}},
		{[]string{"serve", "-h"}, []string{"Usage: vecompile serve", "Example", "-jwt-issuer"}, nil},
		{[]string{"security", "init", "-h"}, []string{"Usage: vecompile security init", "Example", "-policy"}, nil},
		{[]string{"load", "-h"}, []string{"Usage: vecompile load", "Example", "-model"}, nil},
		{[]string{"token", "-h"}, []string{"Usage: vecompile token", "Example", "-ttl"}, nil},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), tc.args, strings.NewReader(""), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d", code)
			}
			for _, s := range tc.has {
				if !strings.Contains(stderr.String(), s) {
					t.Errorf("help lacks %q:\n%s", s, stderr.String())
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(stderr.String(), s) {
					t.Errorf("help has %q:\n%s", s, stderr.String())
				}
			}
		})
	}
}
