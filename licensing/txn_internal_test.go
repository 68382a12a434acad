package licensing

import (
	"reflect"
	"testing"
	"unsafe"
)

// reset empties a txn field by field: every field but s and scratch must come out empty (a
// slice may keep its memory, with nothing in it), so that a field added to txn and forgotten
// by reset fails here rather than leaking one change's effects into the next.
func TestTxnResetEmptiesEveryField(t *testing.T) {
	s := &State{}
	tx := s.newTxn()
	v := reflect.ValueOf(tx).Elem()
	for i := range v.NumField() {
		switch name := v.Type().Field(i).Name; name {
		case "s", "scratch":
		default:
			fill(settable(v.Field(i)))
		}
	}
	tx.reset()
	if tx.s != s {
		t.Fatal("reset dropped the State")
	}
	for i := range v.NumField() {
		if name := v.Type().Field(i).Name; name != "s" && name != "scratch" && !empty(v.Field(i)) {
			t.Errorf("reset leaves txn.%s = %#v", name, v.Field(i))
		}
	}
}

func settable(f reflect.Value) reflect.Value {
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// fill gives v a value that is not empty: slices of two, maps of one entry, ones and trues.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fill(settable(v.Field(i)))
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(v.Index(i))
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Int8:
		if v.CanInt() {
			v.SetInt(1)
		} else {
			v.SetUint(1)
		}
	case reflect.String:
		v.SetString("x")
	case reflect.Array:
		for i := range v.Len() {
			fill(v.Index(i))
		}
	case reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint:
		v.SetUint(1)
	default:
		panic("fill: " + v.Kind().String())
	}
}

// empty reports whether v is the zero value, or a slice with nothing in it.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice:
		return v.Len() == 0
	case reflect.Struct:
		for i := range v.NumField() {
			if !empty(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return v.IsZero()
}
