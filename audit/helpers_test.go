package audit_test

import "github.com/ownervote/ownervote/audit"

func agendaJSON(a *audit.AgendaEntry) ([]byte, error) { return audit.IndentedJSON(a) }
