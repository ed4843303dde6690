package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"testing"
)

// TestDLLForwardsProcessPrng reads the image back the way a loader does:
// debug/pe must accept it as an amd64 DLL, and following the export
// directory must lead from the name ProcessPrng to a forwarder string naming
// advapi32.SystemFunction036 (an address inside the export directory's
// range), not to code.
func TestDLLForwardsProcessPrng(t *testing.T) {
	img := dll()
	f, err := pe.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("debug/pe refuses the DLL: %v", err)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 || f.Characteristics&pe.IMAGE_FILE_DLL == 0 {
		t.Fatalf("machine %#x characteristics %#x: want an amd64 DLL", f.Machine, f.Characteristics)
	}
	opt, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatalf("optional header %T, want PE32+", f.OptionalHeader)
	}
	if int(opt.SizeOfHeaders)%int(opt.FileAlignment) != 0 || opt.SizeOfImage%opt.SectionAlignment != 0 {
		t.Errorf("headers %#x / image %#x not aligned", opt.SizeOfHeaders, opt.SizeOfImage)
	}
	dirEntry := opt.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT]
	if len(f.Sections) != 1 {
		t.Fatalf("%d sections, want 1", len(f.Sections))
	}
	sec := f.Sections[0]
	data, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	at := func(rva uint32) []byte {
		if rva < sec.VirtualAddress || rva-sec.VirtualAddress >= uint32(len(data)) {
			t.Fatalf("RVA %#x outside the section", rva)
		}
		return data[rva-sec.VirtualAddress:]
	}
	cstr := func(rva uint32) string {
		b := at(rva)
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(b[:i])
		}
		t.Fatalf("string at %#x not terminated", rva)
		return ""
	}
	var d exportDirectory
	if err := binary.Read(bytes.NewReader(at(dirEntry.VirtualAddress)), binary.LittleEndian, &d); err != nil {
		t.Fatal(err)
	}
	if got := cstr(d.Name); got != "bcryptprimitives.dll" {
		t.Errorf("DLL name %q", got)
	}
	if d.NumberOfNames != 1 || d.NumberOfFunctions != 1 {
		t.Fatalf("%d names, %d functions, want 1 and 1", d.NumberOfNames, d.NumberOfFunctions)
	}
	if got := cstr(binary.LittleEndian.Uint32(at(d.AddressOfNames))); got != "ProcessPrng" {
		t.Errorf("exported name %q, want ProcessPrng", got)
	}
	idx := binary.LittleEndian.Uint16(at(d.AddressOfNameOrdinals))
	fn := binary.LittleEndian.Uint32(at(d.AddressOfFunctions + 4*uint32(idx)))
	if fn < dirEntry.VirtualAddress || fn >= dirEntry.VirtualAddress+dirEntry.Size {
		t.Fatalf("ProcessPrng at %#x, outside the export directory [%#x, +%#x): code, not a forwarder", fn, dirEntry.VirtualAddress, dirEntry.Size)
	}
	if got := cstr(fn); got != "advapi32.SystemFunction036" {
		t.Errorf("ProcessPrng forwards to %q, want advapi32.SystemFunction036", got)
	}
}
