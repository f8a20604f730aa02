package models

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Errors of loading a checkpoint; every error of Read, Load and Restore wraps one of them.
var (
	// ErrNotCheckpoint reports a file that does not start with the checkpoint ckptMagic.
	ErrNotCheckpoint = errors.New("models: not a continuum checkpoint")
	// ErrVersion reports a checkpoint of a format version this package cannot read.
	ErrVersion = errors.New("models: unsupported checkpoint version")
	// ErrTruncated reports a checkpoint that ends early.
	ErrTruncated = errors.New("models: truncated checkpoint")
	// ErrCorrupt reports a checkpoint whose checksum or structure is wrong.
	ErrCorrupt = errors.New("models: corrupt checkpoint")
	// ErrMismatch reports a checkpoint that does not fit the model (names, shapes, dtypes)
	// or the optimizer it is restored into.
	ErrMismatch = errors.New("models: checkpoint does not fit the model")
)

// The checkpoint file format, version 1 (all integers little-endian):
//
//	ckptMagic    8 bytes  "CNTMCKPT"
//	version  uint16   1
//	flags    uint16   0
//	length   uint64   length of the payload in bytes
//	payload  length bytes
//	crc      uint32   CRC-32C (Castagnoli) of everything before it
//
// The payload holds, in order: the metadata (uint32 count, then key and value strings),
// the parameters (uint32 count, then tensors) and the optimizer state (uint8 0 if absent;
// 1, then the kind string, int64 steps, uint32 count of (name string, float64)
// hyperparameters, uint32 count of slot tensors). A string is a uint32 length and its
// UTF-8 bytes; a tensor is its name string, a uint8 dtype (1 float64, 2 float32), a uint8
// number of dimensions, a uint64 per dimension and the row-major values (IEEE 754, 8 or 4
// bytes each).
const (
	ckptMagic      = "CNTMCKPT"
	ckptVersion    = 1
	ckptHeaderLen  = 8 + 2 + 2 + 8
	ckptMaxString  = 1 << 16
	ckptMaxDims    = 16
	ckptFloat64    = 1
	ckptFloat32    = 2
	ckptMaxPayload = 1 << 40
)

var ckptCRCTable = crc32.MakeTable(crc32.Castagnoli)

// Checkpoint metadata keys written by the models' Save methods: the kind of model and its
// configuration (JSON), so that a loader can rebuild the model from the file alone.
const (
	MetaKind   = "model"
	MetaConfig = "config"
)

// Tensor is a named array of a checkpoint: a parameter's value or an optimizer slot.
// Data holds the values row-major as float64 (float32 values are widened exactly);
// Dtype records the dtype of the node they belong to.
type Tensor struct {
	Name  string
	Shape []int
	Dtype tensor.Dtype
	Data  []float64
}

// Clone returns a deep copy of t.
func (t Tensor) Clone() Tensor {
	return Tensor{Name: t.Name, Shape: slices.Clone(t.Shape), Dtype: t.Dtype, Data: slices.Clone(t.Data)}
}

func (t Tensor) check() error {
	if t.Dtype != tensor.Float64 && t.Dtype != tensor.Float32 {
		return errors.Wrapf(ErrCorrupt, "tensor %q: dtype %v", t.Name, t.Dtype)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return errors.Wrapf(ErrCorrupt, "tensor %q: shape %v", t.Name, t.Shape)
		}
		n *= d
	}
	if n != len(t.Data) {
		return errors.Wrapf(ErrCorrupt, "tensor %q: shape %v but %d values", t.Name, t.Shape, len(t.Data))
	}
	return nil
}

// Checkpoint is a saved model: the values of its named learnable nodes, the state of its
// optimizer (nil when not saved) and free-form metadata (the models of this package store
// their kind and configuration there, so that a file rebuilds its model).
type Checkpoint struct {
	Meta      map[string]string
	Params    []Tensor
	Optimizer *OptimizerState
}

// Capture copies the current values of nodes (and the state of opt, unless nil) into a
// new Checkpoint. Every node must have a unique non-empty name and a float64 or float32
// tensor value.
func Capture(nodes G.Nodes, opt Optimizer) (*Checkpoint, error) {
	c := &Checkpoint{Meta: map[string]string{}}
	seen := map[string]bool{}
	for i, n := range nodes {
		if n == nil {
			return nil, errors.Errorf("models: capture: node %d is nil", i)
		}
		name := n.Name()
		if name == "" || seen[name] {
			return nil, errors.Errorf("models: capture: node %d has an empty or repeated name %q", i, name)
		}
		seen[name] = true
		d, err := ckptView(n)
		if err != nil {
			return nil, errors.Wrap(err, "models: capture")
		}
		t := Tensor{Name: name, Shape: ckptInts(d.shape), Dtype: d.dtype}
		if d.f64 != nil {
			t.Data = slices.Clone(d.f64)
		} else {
			t.Data = optWiden(nil, d.f32)
		}
		c.Params = append(c.Params, t)
	}
	if opt != nil {
		c.Optimizer = opt.State()
	}
	return c, nil
}

// ckptValue is a node's value viewed as float64 or float32 values (a dense tensor or a
// 0-d scalar) with its shape and dtype.
type ckptValue struct {
	f64   []float64
	f32   []float32
	shape tensor.Shape
	dtype tensor.Dtype
}

// ckptView returns a node's value as a float64 or float32 dense tensor or scalar.
func ckptView(n *G.Node) (ckptValue, error) {
	v := n.Value()
	if v == nil {
		return ckptValue{}, errors.Errorf("node %s has no value", n.Name())
	}
	f64, f32, shape, dt, err := optFloats(v)
	if err != nil {
		return ckptValue{}, errors.Wrapf(err, "node %s", n.Name())
	}
	return ckptValue{f64, f32, shape, dt}, nil
}

// Restore writes the checkpoint's values into nodes (in place, so machines bound to the
// nodes see them) and, unless opt is nil, its optimizer state into opt. The checkpoint
// must hold exactly the nodes' names, each with the node's shape and dtype, and an
// optimizer state of opt's kind whose slots fit the nodes. Everything is checked before
// anything is assigned: on error the nodes and opt are unchanged.
func (c *Checkpoint) Restore(nodes G.Nodes, opt Optimizer) error {
	byName := make(map[string]int, len(c.Params))
	for i, t := range c.Params {
		if _, dup := byName[t.Name]; dup {
			return errors.Wrapf(ErrCorrupt, "parameter %q appears twice", t.Name)
		}
		if err := t.check(); err != nil {
			return err
		}
		byName[t.Name] = i
	}
	dsts := make([]ckptValue, len(nodes))
	srcs := make([]*Tensor, len(nodes))
	shapes := make(map[string]tensor.Shape, len(nodes))
	var missing []string
	for i, n := range nodes {
		if n == nil {
			return errors.Errorf("models: restore: node %d is nil", i)
		}
		name := n.Name()
		if _, dup := shapes[name]; dup {
			return errors.Errorf("models: restore: two nodes are named %q", name)
		}
		d, err := ckptView(n)
		if err != nil {
			return errors.Wrap(err, "models: restore")
		}
		shapes[name] = d.shape
		j, ok := byName[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		t := &c.Params[j]
		if !ckptSameShape(d.shape, t.Shape) {
			return errors.Wrapf(ErrMismatch, "parameter %q has shape %v in the checkpoint, %v in the model", name, tensor.Shape(t.Shape), d.shape)
		}
		if d.dtype != t.Dtype {
			return errors.Wrapf(ErrMismatch, "parameter %q has dtype %v in the checkpoint, %v in the model", name, t.Dtype, d.dtype)
		}
		dsts[i], srcs[i] = d, t
	}
	if len(missing) > 0 {
		return errors.Wrapf(ErrMismatch, "the checkpoint lacks %d parameter(s) of the model: %s", len(missing), ckptList(missing))
	}
	if len(c.Params) != len(nodes) {
		var extra []string
		for _, t := range c.Params {
			if _, ok := shapes[t.Name]; !ok {
				extra = append(extra, t.Name)
			}
		}
		return errors.Wrapf(ErrMismatch, "the checkpoint has %d parameter(s) the model lacks: %s", len(extra), ckptList(extra))
	}
	if opt != nil {
		s := c.Optimizer
		if s == nil {
			return errors.Wrap(ErrMismatch, "the checkpoint holds no optimizer state")
		}
		for _, t := range s.Slots {
			param, _, ok := splitSlot(t.Name)
			shape, known := shapes[param]
			if !ok || !known {
				return errors.Wrapf(ErrMismatch, "optimizer slot %q belongs to no parameter of the model", t.Name)
			}
			if !ckptSameShape(shape, t.Shape) {
				return errors.Wrapf(ErrMismatch, "optimizer slot %q has shape %v, the parameter %v", t.Name, tensor.Shape(t.Shape), shape)
			}
		}
		// SetState checks everything else before changing anything; it is the last step
		// that can fail.
		if err := opt.SetState(s); err != nil {
			return err
		}
	}
	for i, d := range dsts {
		if d.f64 != nil {
			copy(d.f64, srcs[i].Data)
			continue
		}
		for j, v := range srcs[i].Data {
			d.f32[j] = float32(v)
		}
	}
	return nil
}

// ckptSameShape reports whether a value's shape equals a checkpoint's (a scalar's shape
// is empty in both; tensor.Shape.Eq calls a scalar equal to shape (1)).
func ckptSameShape(s tensor.Shape, want []int) bool {
	return len(s) == len(want) && (len(s) == 0 || s.Eq(tensor.Shape(want)))
}

func ckptList(names []string) string {
	sort.Strings(names)
	if len(names) > 8 {
		return strings.Join(names[:8], ", ") + fmt.Sprintf(" and %d more", len(names)-8)
	}
	return strings.Join(names, ", ")
}

// WriteTo writes the checkpoint in the binary format described above.
func (c *Checkpoint) WriteTo(w io.Writer) (int64, error) {
	var p ckptEnc
	keys := make([]string, 0, len(c.Meta))
	for k := range c.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p.u32(uint32(len(keys)))
	for _, k := range keys {
		p.str(k)
		p.str(c.Meta[k])
	}
	p.u32(uint32(len(c.Params)))
	for _, t := range c.Params {
		if err := p.tensor(t); err != nil {
			return 0, err
		}
	}
	if s := c.Optimizer; s == nil {
		p.u8(0)
	} else {
		p.u8(1)
		p.str(s.Kind)
		p.u64(uint64(s.Steps))
		hk := make([]string, 0, len(s.Hyper))
		for k := range s.Hyper {
			hk = append(hk, k)
		}
		sort.Strings(hk)
		p.u32(uint32(len(hk)))
		for _, k := range hk {
			p.str(k)
			p.u64(math.Float64bits(s.Hyper[k]))
		}
		p.u32(uint32(len(s.Slots)))
		for _, t := range s.Slots {
			if err := p.tensor(t); err != nil {
				return 0, err
			}
		}
	}
	if p.err != nil {
		return 0, p.err
	}
	var out ckptEnc
	out.b.Grow(ckptHeaderLen + p.b.Len() + 4)
	out.b.WriteString(ckptMagic)
	out.u16(ckptVersion)
	out.u16(0)
	out.u64(uint64(p.b.Len()))
	out.b.Write(p.b.Bytes())
	out.u32(crc32.Checksum(out.b.Bytes(), ckptCRCTable))
	n, err := w.Write(out.b.Bytes())
	return int64(n), errors.Wrap(err, "models: write checkpoint")
}

// ReadCheckpoint reads a checkpoint written by WriteTo. A stream that is not a
// checkpoint, ends early or fails its checksum gives ErrNotCheckpoint, ErrTruncated or
// ErrCorrupt.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) { return readCheckpoint(r, -1) }

// readCheckpoint is ReadCheckpoint for a stream of size bytes in all (-1: unknown): a
// payload length in the header that does not fit in size is ErrTruncated before any of
// the payload is read.
func readCheckpoint(r io.Reader, size int64) (*Checkpoint, error) {
	hdr := make([]byte, ckptHeaderLen)
	n, err := io.ReadFull(r, hdr)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, errors.Wrap(err, "models: read checkpoint")
	}
	if n == 0 {
		return nil, errors.Wrap(ErrNotCheckpoint, "empty input")
	}
	if k := min(n, len(ckptMagic)); string(hdr[:k]) != ckptMagic[:k] {
		return nil, errors.Wrapf(ErrNotCheckpoint, "starts with %q, want %q", ckptPrintable(hdr[:min(n, len(ckptMagic))]), ckptMagic)
	}
	if n < ckptHeaderLen {
		return nil, errors.Wrapf(ErrTruncated, "header has %d of %d bytes", n, ckptHeaderLen)
	}
	if v := binary.LittleEndian.Uint16(hdr[8:]); v != ckptVersion {
		return nil, errors.Wrapf(ErrVersion, "version %d, this package reads version %d", v, ckptVersion)
	}
	plen := binary.LittleEndian.Uint64(hdr[12:])
	if plen > ckptMaxPayload {
		return nil, errors.Wrapf(ErrCorrupt, "payload length %d", plen)
	}
	if size >= 0 && plen > uint64(max(size-ckptHeaderLen, 0)) {
		return nil, errors.Wrapf(ErrTruncated, "the header says %d payload bytes, the file has %d after the header", plen, size-ckptHeaderLen)
	}
	payload, err := io.ReadAll(io.LimitReader(r, int64(plen)))
	if err != nil {
		return nil, errors.Wrap(err, "models: read checkpoint")
	}
	if uint64(len(payload)) < plen {
		return nil, errors.Wrapf(ErrTruncated, "payload has %d of %d bytes", len(payload), plen)
	}
	sum := make([]byte, 4)
	if n, err := io.ReadFull(r, sum); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, errors.Wrapf(ErrTruncated, "checksum has %d of 4 bytes", n)
		}
		return nil, errors.Wrap(err, "models: read checkpoint")
	}
	h := crc32.New(ckptCRCTable)
	h.Write(hdr)
	h.Write(payload)
	if got, want := h.Sum32(), binary.LittleEndian.Uint32(sum); got != want {
		return nil, errors.Wrapf(ErrCorrupt, "checksum %08x, the file says %08x", got, want)
	}
	return decodePayload(payload)
}

func ckptPrintable(b []byte) string {
	s := []rune(string(b))
	for i, r := range s {
		if r < 0x20 || r > 0x7e {
			s[i] = '.'
		}
	}
	return string(s)
}

func decodePayload(b []byte) (*Checkpoint, error) {
	d := &ckptDec{b: b}
	c := &Checkpoint{Meta: map[string]string{}}
	for i, n := 0, d.count(); i < n && d.err == nil; i++ {
		k := d.str()
		c.Meta[k] = d.str()
	}
	for i, n := 0, d.count(); i < n && d.err == nil; i++ {
		c.Params = append(c.Params, d.tensor())
	}
	switch d.u8() {
	case 0:
	case 1:
		s := &OptimizerState{Kind: d.str(), Steps: int64(d.u64()), Hyper: map[string]float64{}}
		for i, n := 0, d.count(); i < n && d.err == nil; i++ {
			k := d.str()
			s.Hyper[k] = math.Float64frombits(d.u64())
		}
		for i, n := 0, d.count(); i < n && d.err == nil; i++ {
			s.Slots = append(s.Slots, d.tensor())
		}
		c.Optimizer = s
	default:
		d.fail("optimizer flag")
	}
	if d.err == nil && len(d.b) != d.off {
		d.fail(fmt.Sprintf("%d unread bytes", len(d.b)-d.off))
	}
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}

// SaveFile writes c to path atomically: to a temporary file in the same directory
// (".<name>.tmp<digits>"), synced, then renamed over path, and the directory synced, so
// that a crash never leaves a half-written checkpoint at path. Temporary files of the
// same target that an earlier save left behind when it was killed are removed first; so
// two processes must not save to one path at the same time.
func SaveFile(path string, c *Checkpoint) (err error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	removeStaleTemps(dir, base)
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return errors.Wrap(err, "models: save checkpoint")
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriter(f)
	if _, err = c.WriteTo(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return errors.Wrap(err, "models: save checkpoint")
	}
	if err = f.Sync(); err != nil {
		return errors.Wrap(err, "models: save checkpoint")
	}
	if err = f.Close(); err != nil {
		return errors.Wrap(err, "models: save checkpoint")
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return errors.Wrap(err, "models: save checkpoint")
	}
	return errors.Wrap(syncDir(dir), "models: save checkpoint: sync directory")
}

// removeStaleTemps removes the temporary files ".<base>.tmp<digits>" in dir that a
// killed SaveFile of the same target left behind. Errors are ignored: a file it cannot
// remove costs disk space, not correctness.
func removeStaleTemps(dir, base string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp"
	for _, e := range ents {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || rest == "" || !e.Type().IsRegular() || strings.Trim(rest, "0123456789") != "" {
			continue
		}
		os.Remove(filepath.Join(dir, name))
	}
}

// syncDir flushes dir's entries (the rename) to disk. Windows cannot sync a directory;
// there it does nothing. A variable, so that a test sees it called.
var syncDir = func(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// LoadFile reads the checkpoint at path. It refuses what is not a regular file (a FIFO,
// a device, a directory) before reading from it, checks the header's payload length
// against the file's size before reading the payload, and streams the file through the
// checks; bytes after the checksum make it ErrCorrupt.
func LoadFile(path string) (*Checkpoint, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, errors.Wrap(err, "models: load checkpoint")
	}
	if !st.Mode().IsRegular() {
		return nil, errors.Wrapf(ErrNotCheckpoint, "%s: not a regular file (mode %v)", path, st.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "models: load checkpoint")
	}
	defer f.Close()
	// The path may have been replaced between the two calls: check what was opened.
	if st, err = f.Stat(); err != nil {
		return nil, errors.Wrap(err, "models: load checkpoint")
	}
	if !st.Mode().IsRegular() {
		return nil, errors.Wrapf(ErrNotCheckpoint, "%s: not a regular file (mode %v)", path, st.Mode().Type())
	}
	r := bufio.NewReader(f)
	c, err := readCheckpoint(r, st.Size())
	if err != nil {
		return nil, errors.Wrapf(err, "%s", path)
	}
	if n, _ := io.Copy(io.Discard, io.LimitReader(r, st.Size())); n != 0 {
		return nil, errors.Wrapf(ErrCorrupt, "%s: %d bytes after the checksum", path, n)
	}
	return c, nil
}

// Save captures nodes (and opt, unless nil) with the metadata meta and writes them to
// path (see SaveFile).
func Save(path string, nodes G.Nodes, opt Optimizer, meta map[string]string) error {
	c, err := Capture(nodes, opt)
	if err != nil {
		return err
	}
	for k, v := range meta {
		c.Meta[k] = v
	}
	return SaveFile(path, c)
}

// Load reads the checkpoint at path and restores it into nodes (and opt, unless nil);
// it returns the checkpoint for its metadata. On error nothing is changed.
func Load(path string, nodes G.Nodes, opt Optimizer) (*Checkpoint, error) {
	c, err := LoadFile(path)
	if err != nil {
		return nil, err
	}
	if err := c.Restore(nodes, opt); err != nil {
		return nil, errors.Wrapf(err, "%s", path)
	}
	return c, nil
}

// ckptEnc appends little-endian values to a buffer.
type ckptEnc struct {
	b   bytes.Buffer
	err error
	tmp [8]byte
}

func (e *ckptEnc) u8(v uint8) { e.b.WriteByte(v) }
func (e *ckptEnc) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.tmp[:], v)
	e.b.Write(e.tmp[:2])
}
func (e *ckptEnc) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.tmp[:], v)
	e.b.Write(e.tmp[:4])
}
func (e *ckptEnc) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.tmp[:], v)
	e.b.Write(e.tmp[:8])
}
func (e *ckptEnc) str(s string) {
	if len(s) > ckptMaxString && e.err == nil {
		e.err = errors.Errorf("models: write checkpoint: string of %d bytes", len(s))
	}
	e.u32(uint32(len(s)))
	e.b.WriteString(s)
}

func (e *ckptEnc) tensor(t Tensor) error {
	if err := t.check(); err != nil {
		return errors.Wrap(err, "models: write checkpoint")
	}
	if len(t.Shape) > ckptMaxDims {
		return errors.Errorf("models: write checkpoint: tensor %q has %d dimensions", t.Name, len(t.Shape))
	}
	e.str(t.Name)
	if t.Dtype == tensor.Float32 {
		e.u8(ckptFloat32)
	} else {
		e.u8(ckptFloat64)
	}
	e.u8(uint8(len(t.Shape)))
	for _, d := range t.Shape {
		e.u64(uint64(d))
	}
	for _, v := range t.Data {
		if t.Dtype == tensor.Float32 {
			e.u32(math.Float32bits(float32(v)))
		} else {
			e.u64(math.Float64bits(v))
		}
	}
	return nil
}

// ckptDec reads little-endian values from a payload, remembering the first error.
type ckptDec struct {
	b   []byte
	off int
	err error
}

func (d *ckptDec) fail(what string) {
	if d.err == nil {
		d.err = errors.Wrapf(ErrCorrupt, "payload byte %d: %s", d.off, what)
	}
}

func (d *ckptDec) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail("unexpected end of " + what)
		return nil
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *ckptDec) u8() uint8 {
	if s := d.take(1, "byte"); s != nil {
		return s[0]
	}
	return 0
}
func (d *ckptDec) u32() uint32 {
	if s := d.take(4, "uint32"); s != nil {
		return binary.LittleEndian.Uint32(s)
	}
	return 0
}
func (d *ckptDec) u64() uint64 {
	if s := d.take(8, "uint64"); s != nil {
		return binary.LittleEndian.Uint64(s)
	}
	return 0
}

// count reads a uint32 count, bounded by the bytes left (every item takes at least one).
func (d *ckptDec) count() int {
	n := d.u32()
	if int64(n) > int64(len(d.b)-d.off) {
		d.fail(fmt.Sprintf("count %d exceeds the payload", n))
		return 0
	}
	return int(n)
}

func (d *ckptDec) str() string {
	n := d.u32()
	if n > ckptMaxString {
		d.fail(fmt.Sprintf("string of %d bytes", n))
		return ""
	}
	return string(d.take(int(n), "string"))
}

func (d *ckptDec) tensor() Tensor {
	t := Tensor{Name: d.str()}
	width := 8
	switch d.u8() {
	case ckptFloat64:
		t.Dtype = tensor.Float64
	case ckptFloat32:
		t.Dtype, width = tensor.Float32, 4
	default:
		d.fail(fmt.Sprintf("tensor %q: unknown dtype", t.Name))
		return t
	}
	nd := int(d.u8())
	if nd > ckptMaxDims {
		d.fail(fmt.Sprintf("tensor %q: %d dimensions", t.Name, nd))
		return t
	}
	size := uint64(1)
	for i := 0; i < nd && d.err == nil; i++ {
		v := d.u64()
		size *= v
		if v > uint64(len(d.b)) || size > uint64(len(d.b)) {
			d.fail(fmt.Sprintf("tensor %q: dimension %d exceeds the payload", t.Name, v))
			return t
		}
		t.Shape = append(t.Shape, int(v))
	}
	raw := d.take(int(size)*width, fmt.Sprintf("tensor %q", t.Name))
	if d.err != nil {
		return t
	}
	t.Data = make([]float64, size)
	for i := range t.Data {
		if width == 4 {
			t.Data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		} else {
			t.Data[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	}
	return t
}
