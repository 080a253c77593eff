//go:build !linux

package azuritest

import "os/exec"

func setPdeathsig(cmd *exec.Cmd) {}
