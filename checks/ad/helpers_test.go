package ad

import "github.com/vigie-cyber/vigie/checks"

func checkProcess(name string) checks.Process { return checks.Process{PID: 4242, Name: name} }
