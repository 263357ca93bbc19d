package audit

import (
	"bufio"
	"context"
	"fmt"
	"io"

	"kordon/types/fault"
)

// Export formats.
const (
	FormatJSONL  = "jsonl"  // one stored body per line, then {"checkpoint": "<signed note>"}
	FormatSyslog = "syslog" // RFC 5424 lines with structured data
	FormatCEF    = "cef"    // ArcSight Common Event Format lines
)

// Formats lists the export formats.
func Formats() []string { return []string{FormatJSONL, FormatSyslog, FormatCEF} }

// exporter writes one format.
type exporter interface {
	entry(w *bufio.Writer, e *Entry, body []byte)
	checkpoint(w *bufio.Writer, cp Checkpoint)
}

// Export writes the entries matching f to w in format, then the
// checkpoint that covers them. It first records an audit.export entry
// naming reader and the filter, and signs a checkpoint that covers that
// entry too; only entries that checkpoint covers are written, so a full
// JSON Lines export is verifiable on its own (recompute the root of the
// bodies, compare it with the signed note). If the export cannot be
// audited nothing is written. f.Limit 0 means every matching entry.
func (l *Log) Export(ctx context.Context, reader Actor, w io.Writer, format string, f Filter) error {
	const op = "audit.Export"
	if err := checkReader(reader); err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	if err := f.normalize(); err != nil {
		return fault.E(op, fault.Invalid, err)
	}
	var x exporter
	switch format {
	case FormatJSONL:
		x = jsonlExporter{}
	case FormatSyslog:
		x = syslogExporter{host: syslogHost(l.cfg.Hostname)}
	case FormatCEF:
		x = cefExporter{host: l.cfg.Hostname, version: l.cfg.Version}
	default:
		return fault.E(op, fault.Invalid, fmt.Errorf("unknown export format %q (want %v)", clip(format), Formats()))
	}
	e := f.readEntry(reader, ActionAuditExport)
	e.Detail["format"] = format
	if _, err := l.Record(ctx, e); err != nil {
		return fault.E(op, fault.Unavailable, fmt.Errorf("export refused: it could not be audited: %w", err))
	}
	cp, err := l.Checkpoint(ctx)
	if err != nil {
		return fault.E(op, fault.KindOf(err), fmt.Errorf("sign the checkpoint closing the export: %w", err))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	err = f.scan(ctx, l.db.Read(), f.start(), cp.Size, f.Limit, func(e *Entry, body []byte) error {
		x.entry(bw, e, body)
		return nil
	})
	if err != nil {
		return fault.E(op, fault.KindOf(err), err)
	}
	x.checkpoint(bw, cp)
	if err := bw.Flush(); err != nil {
		return fault.E(op, fault.Unavailable, fmt.Errorf("write export: %w", err))
	}
	return nil
}

// jsonlExporter writes the stored bodies, byte for byte.
type jsonlExporter struct{}

func (jsonlExporter) entry(w *bufio.Writer, _ *Entry, body []byte) {
	w.Write(body)
	w.WriteByte('\n')
}

func (jsonlExporter) checkpoint(w *bufio.Writer, cp Checkpoint) {
	w.WriteString(`{"checkpoint":`)
	w.Write(appendString(nil, cp.Note))
	w.WriteString("}\n")
}
