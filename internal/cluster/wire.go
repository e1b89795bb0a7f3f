package cluster

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/certhunt/certhunt/internal/certs"
	"github.com/certhunt/certhunt/internal/source"
)

// The batch wire format: everything of a source.Batch but LeafHashes (checked by the ingest node
// before publishing) and Commit (the ingest node's, called once the batch is in the stream).
// Logs and chain certificates, shared by most entries, travel once per message. It is a plain
// length-prefixed binary layout, not gob: anyone who may publish on the subject can send a
// message, and every length here is checked against the bytes left, so decoding costs at most
// the message's size (bounded by max_payload).
//
//	"CHB1" logref(source)
//	n logref...            the logs entries name
//	n bytes...             the chain certificates entries name
//	n entry...             uvarint(log) varint(index) varint(unix ns, 0 = none) str(type)
//	                       bytes(DER) bytes(TBS) n uvarint(cert)... flags [bytes(parsed JSON)]
//	n malformed...         logref varint(index) str(error) bytes(data)
//
// where logref is str(name) str(URL) str(type), str and bytes are uvarint(len) then the bytes,
// and n is a uvarint count.
const wireMagic = "CHB1"

const (
	flagUnverified = 1 << iota
	flagParsed
)

type wireWriter struct{ b []byte }

func (w *wireWriter) uvarint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *wireWriter) varint(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *wireWriter) bytes(p []byte)   { w.uvarint(uint64(len(p))); w.b = append(w.b, p...) }
func (w *wireWriter) str(s string)     { w.uvarint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *wireWriter) logRef(l certs.LogRef) {
	w.str(l.Name)
	w.str(l.URL)
	w.str(l.Type)
}

// encode makes one message of entries and malformed records.
func encode(src certs.LogRef, entries []certs.Entry, malformed []source.Malformed) ([]byte, error) {
	logs, chains := map[certs.LogRef]uint64{}, map[string]uint64{}
	var logList []certs.LogRef
	var certList [][]byte
	size := 64
	for i := range entries {
		e := &entries[i]
		if _, ok := logs[e.Log]; !ok {
			logs[e.Log] = uint64(len(logList))
			logList = append(logList, e.Log)
		}
		size += len(e.DER) + len(e.TBS) + 32
		for _, c := range e.Chain {
			if _, ok := chains[string(c)]; !ok {
				chains[string(c)] = uint64(len(certList))
				certList = append(certList, c)
				size += len(c) + 4
			}
		}
	}
	w := wireWriter{b: make([]byte, 0, size)}
	w.b = append(w.b, wireMagic...)
	w.logRef(src)
	w.uvarint(uint64(len(logList)))
	for _, l := range logList {
		w.logRef(l)
	}
	w.uvarint(uint64(len(certList)))
	for _, c := range certList {
		w.bytes(c)
	}
	w.uvarint(uint64(len(entries)))
	for i := range entries {
		e := &entries[i]
		w.uvarint(logs[e.Log])
		w.varint(e.Index)
		var ts int64
		if !e.Timestamp.IsZero() {
			ts = e.Timestamp.UnixNano()
		}
		w.varint(ts)
		w.str(string(e.Type))
		w.bytes(e.DER)
		w.bytes(e.TBS)
		w.uvarint(uint64(len(e.Chain)))
		for _, c := range e.Chain {
			w.uvarint(chains[string(c)])
		}
		var flags byte
		if e.Unverified {
			flags |= flagUnverified
		}
		if e.Parsed != nil {
			flags |= flagParsed
		}
		w.b = append(w.b, flags)
		if e.Parsed != nil {
			// A certstream lite message's fields (no DER): JSON carries them all.
			p, err := json.Marshal(e.Parsed)
			if err != nil {
				return nil, fmt.Errorf("entry %d: %w", e.Index, err)
			}
			w.bytes(p)
		}
	}
	w.uvarint(uint64(len(malformed)))
	for _, m := range malformed {
		w.logRef(m.Log)
		w.varint(m.Index)
		w.str(m.Err)
		w.bytes(m.Data)
	}
	return w.b, nil
}

var errShort = errors.New("truncated")

type wireReader struct {
	b   []byte
	err error
}

func (r *wireReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *wireReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *wireReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail(errShort)
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of items that take at least one byte each, so that no count can ask for
// more than the message holds.
func (r *wireReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail(fmt.Errorf("a count of %d with %d bytes left", n, len(r.b)))
		return 0
	}
	return int(n)
}

// bytes returns the next length-prefixed run (nil when empty), sharing the message's memory.
func (r *wireReader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail(errShort)
		return nil
	}
	if n == 0 {
		return nil
	}
	p := r.b[:n:n]
	r.b = r.b[n:]
	return p
}

func (r *wireReader) str() string { return string(r.bytes()) }

func (r *wireReader) logRef() certs.LogRef {
	return certs.LogRef{Name: r.str(), URL: r.str(), Type: r.str()}
}

func (r *wireReader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail(errShort)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// decode reads one message back into a batch (without Commit). The batch's byte slices share
// data's memory.
func decode(data []byte) (source.Batch, error) {
	if len(data) < len(wireMagic) || string(data[:len(wireMagic)]) != wireMagic {
		return source.Batch{}, errors.New("not a certhunt batch (bad magic)")
	}
	r := &wireReader{b: data[len(wireMagic):]}
	var b source.Batch
	b.Source = r.logRef()
	logs := make([]certs.LogRef, r.count())
	for i := range logs {
		logs[i] = r.logRef()
	}
	chain := make([][]byte, r.count())
	for i := range chain {
		chain[i] = r.bytes()
	}
	b.Entries = make([]certs.Entry, r.count())
	for i := range b.Entries {
		e := &b.Entries[i]
		li := r.uvarint()
		if r.err == nil && li >= uint64(len(logs)) {
			r.fail(fmt.Errorf("entry %d names log %d of %d", i, li, len(logs)))
		}
		if r.err != nil {
			break
		}
		e.Log = logs[li]
		e.Index = r.varint()
		if ts := r.varint(); ts != 0 {
			e.Timestamp = time.Unix(0, ts).UTC()
		}
		e.Type = certs.EntryType(r.str())
		e.DER, e.TBS = r.bytes(), r.bytes()
		if n := r.count(); n > 0 {
			e.Chain = make([][]byte, n)
			for j := range e.Chain {
				ci := r.uvarint()
				if r.err == nil && ci >= uint64(len(chain)) {
					r.fail(fmt.Errorf("entry %d names chain certificate %d of %d", i, ci, len(chain)))
				}
				if r.err != nil {
					break
				}
				e.Chain[j] = chain[ci]
			}
		}
		flags := r.byte1()
		e.Unverified = flags&flagUnverified != 0
		if flags&flagParsed != 0 {
			p := r.bytes()
			if r.err == nil {
				e.Parsed = new(certs.Cert)
				if err := json.Unmarshal(p, e.Parsed); err != nil {
					r.fail(fmt.Errorf("entry %d: parsed certificate: %w", i, err))
				}
			}
		}
	}
	if n := r.count(); n > 0 {
		b.Malformed = make([]source.Malformed, n)
		for i := range b.Malformed {
			b.Malformed[i] = source.Malformed{Log: r.logRef(), Index: r.varint(), Err: r.str(), Data: r.bytes()}
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail(fmt.Errorf("%d bytes after the batch", len(r.b)))
	}
	if r.err != nil {
		return source.Batch{}, fmt.Errorf("cluster batch: %w", r.err)
	}
	return b, nil
}
