package jsonx

// Optionals reads a message's optional fields one after another: absent or
// null leaves the destination alone, anything else is read or becomes the
// named field's error. It keeps the first error (later reads are skipped)
// and whether any field was set, so a decoder states its fields in a list
// instead of an if-block each.
type Optionals struct {
	Set bool
	Err error
}

// Float reads a number into *dst.
func (o *Optionals) Float(name string, v []byte, dst **float64) {
	if o.Err != nil || !Present(v) {
		return
	}
	x, err := ReadFloat(v)
	if err != nil {
		o.Err = InField(name, err)
		return
	}
	*dst, o.Set = &x, true
}

// Count reads a 32-bit integer of at least 1 (a token limit, a number of
// choices) into *dst.
func (o *Optionals) Count(name string, v []byte, dst **int32) {
	if o.Err != nil || !Present(v) {
		return
	}
	x, err := ReadInt32(v)
	if err != nil {
		o.Err = InField(name, err)
		return
	}
	if x < 1 {
		o.Err = InField(name, BadValue("must be at least 1"))
		return
	}
	*dst, o.Set = &x, true
}

// ReadStringArray reads an array of strings.
func ReadStringArray(v []byte) ([]string, error) {
	var out []string
	_, err := ScanArray(v, 0, func(i, start, end int) error {
		s, err := ReadString(v[start:end])
		if err != nil {
			return InIndex(i, err)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}
