package audit_test

import (
	"encoding/json"

	"github.com/ownervote/ownervote/audit"
)

func agendaJSON(a *audit.AgendaEntry) ([]byte, error) {
	b, err := json.MarshalIndent(a, "", "  ")
	return append(b, '\n'), err
}
