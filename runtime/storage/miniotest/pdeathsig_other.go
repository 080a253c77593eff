//go:build !linux

package miniotest

import "os/exec"

func setPdeathsig(cmd *exec.Cmd) {}
