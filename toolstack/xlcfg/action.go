package xlcfg

import (
	"fmt"
	"strconv"
)

// Action is what the toolstack does when a domain shuts down
// (on_poweroff, on_reboot, on_crash). Values mirror libxl's
// libxl_action_on_shutdown enum (tools/libs/light/libxl_types.idl); the
// zero value is not an action.
type Action int

const (
	ActionDestroy         Action = 1 // tear the domain down
	ActionRestart         Action = 2 // destroy, then create it again from the same config
	ActionRenameRestart   Action = 3 // rename the old domain, keep it, create a new one
	ActionPreserve        Action = 4 // leave it shut down for inspection
	ActionCoredumpDestroy Action = 5 // dump its memory, then destroy
	ActionCoredumpRestart Action = 6 // dump its memory, then restart
	ActionSoftReset       Action = 7 // reset the domain in place
)

// actionNames are xl's spellings (xl_parse.c action_on_shutdown_names).
var actionNames = [...]string{
	ActionDestroy:         "destroy",
	ActionRestart:         "restart",
	ActionRenameRestart:   "rename-restart",
	ActionPreserve:        "preserve",
	ActionCoredumpDestroy: "coredump-destroy",
	ActionCoredumpRestart: "coredump-restart",
	ActionSoftReset:       "soft-reset",
}

// String returns the xl.cfg spelling, such as "rename-restart".
func (a Action) String() string {
	if a >= ActionDestroy && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// ParseAction reads an xl.cfg action name; like xl, it is case-sensitive.
func ParseAction(s string) (Action, bool) {
	for a := ActionDestroy; int(a) < len(actionNames); a++ {
		if actionNames[a] == s {
			return a, true
		}
	}
	return 0, false
}

// MarshalText makes an Action its xl.cfg name in JSON.
func (a Action) MarshalText() ([]byte, error) {
	if _, ok := ParseAction(a.String()); !ok {
		return nil, fmt.Errorf("xlcfg: %v is not an action", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText reads an xl.cfg action name.
func (a *Action) UnmarshalText(b []byte) error {
	v, ok := ParseAction(string(b))
	if !ok {
		return fmt.Errorf("xlcfg: %q is not an action (%s)", trunc(string(b)), actionList)
	}
	*a = v
	return nil
}

const actionList = "destroy, restart, rename-restart, preserve, coredump-destroy, coredump-restart or soft-reset"
