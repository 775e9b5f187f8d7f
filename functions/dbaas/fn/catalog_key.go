/*
Copyright 2026 The dbaas authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package fn

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"slices"
	"sync"

	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// A catalogKey is the SHA-256 of a catalog's EnvironmentConfigs as core sent
// them, every field, metadata.resourceVersion included. A collision-resistant
// hash, because the cache is shared by the composite resources of every
// namespace: a catalog must never be taken for another.
type catalogKey [sha256.Size]byte

// Tags that start each value hashed, so that values of different kinds, and
// a list and the values that follow it, never hash alike.
const (
	tagNull byte = iota
	tagNumber
	tagString
	tagBool
	tagStruct
	tagList
)

// keyOf hashes the EnvironmentConfigs in core's order. It walks the structs
// into one buffer and hashes that once, rather than hashing their
// deterministic protobuf encoding: that encoding cost as much as the rest of
// a cached call (a sorted copy of every map, then the buffer), and so did
// writing each value to the hash on its own. Another order of the configs is
// another key: it decodes to the same catalog, and costs one more decode.
func keyOf(configs []*fnv1.Resource) catalogKey {
	k := keyEncoders.Get().(*keyEncoder) //nolint:forcetypeassert // The pool holds nothing else.
	defer keyEncoders.Put(k)
	k.buf, k.keys = k.buf[:0], k.keys[:0]
	k.tag(tagList, uint64(len(configs)))
	for _, c := range configs {
		k.structure(c.GetResource())
	}
	return sha256.Sum256(k.buf)
}

// keyEncoders keep their buffers between calls: a catalog encodes to the
// same size on every call, so growing a new buffer each time is waste.
var keyEncoders = sync.Pool{New: func() any { return &keyEncoder{} }}

// A keyEncoder writes values as tag, length or bits, and bytes. Map keys are
// sorted in keys, a stack that every struct pushes its keys onto and pops.
type keyEncoder struct {
	buf  []byte
	keys []string
}

func (k *keyEncoder) tag(t byte, n uint64) {
	k.buf = binary.BigEndian.AppendUint64(append(k.buf, t), n)
}

func (k *keyEncoder) str(s string) {
	k.tag(tagString, uint64(len(s)))
	k.buf = append(k.buf, s...)
}

func (k *keyEncoder) structure(s *structpb.Struct) {
	fields := s.GetFields()
	k.tag(tagStruct, uint64(len(fields)))
	start := len(k.keys)
	for name := range fields {
		k.keys = append(k.keys, name)
	}
	end := len(k.keys)
	slices.Sort(k.keys[start:end])
	for i := start; i < end; i++ {
		// Nested structs push above end and pop back to it, so the
		// entries up to end stay as sorted here.
		name := k.keys[i]
		k.str(name)
		k.value(fields[name])
	}
	k.keys = k.keys[:start]
}

func (k *keyEncoder) value(v *structpb.Value) {
	switch x := v.GetKind().(type) {
	case *structpb.Value_NumberValue:
		k.tag(tagNumber, math.Float64bits(x.NumberValue))
	case *structpb.Value_StringValue:
		k.str(x.StringValue)
	case *structpb.Value_BoolValue:
		b := uint64(0)
		if x.BoolValue {
			b = 1
		}
		k.tag(tagBool, b)
	case *structpb.Value_StructValue:
		k.structure(x.StructValue)
	case *structpb.Value_ListValue:
		vs := x.ListValue.GetValues()
		k.tag(tagList, uint64(len(vs)))
		for _, e := range vs {
			k.value(e)
		}
	default:
		k.tag(tagNull, 0)
	}
}
