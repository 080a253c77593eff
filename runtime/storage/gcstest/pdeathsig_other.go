//go:build !linux

package gcstest

import "os/exec"

func setPdeathsig(cmd *exec.Cmd) {}
