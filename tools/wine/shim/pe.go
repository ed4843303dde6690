package main

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
)

// What the DLL exports, and where the export goes.
const (
	dllName   = "bcryptprimitives.dll"
	export    = "ProcessPrng"
	forwardTo = "advapi32.SystemFunction036"
)

// Layout of the image: headers in the first file block, the export data in
// one section at the first page, as a linker would place them.
const (
	fileAlign    = 0x200  // file offsets are multiples of this
	sectionAlign = 0x1000 // memory addresses (RVAs) are multiples of this
	sectionRVA   = sectionAlign
	sectionRaw   = fileAlign // the section's bytes follow the header block
	imageBase    = 0x180000000
)

// exportDirectory is IMAGE_EXPORT_DIRECTORY (PE/COFF specification,
// "Export Directory Table"); debug/pe reads but does not define it.
type exportDirectory struct {
	Characteristics       uint32
	TimeDateStamp         uint32
	MajorVersion          uint16
	MinorVersion          uint16
	Name                  uint32 // RVA of the DLL's name
	Base                  uint32 // first ordinal
	NumberOfFunctions     uint32
	NumberOfNames         uint32
	AddressOfFunctions    uint32 // RVA of the export address table
	AddressOfNames        uint32 // RVA of the name pointer table
	AddressOfNameOrdinals uint32 // RVA of the ordinal table
}

// edata lays out the export section: the directory, then its three one-entry
// tables, then the strings. The export address table entry points at the
// forwarder string, inside the export directory's range: that is what tells
// the loader "forwarder" rather than "code address".
func edata() []byte {
	const dirSize = 40
	eat := uint32(dirSize) // export address table: 1 x uint32
	names := eat + 4       // name pointer table: 1 x uint32
	ordinals := names + 4  // ordinal table: 1 x uint16
	sDLL := ordinals + 2   // strings, NUL-terminated
	sExport := sDLL + uint32(len(dllName)+1)
	sForward := sExport + uint32(len(export)+1)
	rva := func(off uint32) uint32 { return sectionRVA + off }

	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, exportDirectory{
		Name: rva(sDLL), Base: 1, NumberOfFunctions: 1, NumberOfNames: 1,
		AddressOfFunctions: rva(eat), AddressOfNames: rva(names), AddressOfNameOrdinals: rva(ordinals),
	})
	binary.Write(&b, binary.LittleEndian, rva(sForward)) // the one function: a forwarder
	binary.Write(&b, binary.LittleEndian, rva(sExport))  // its name
	binary.Write(&b, binary.LittleEndian, uint16(0))     // its index in the address table
	for _, s := range []string{dllName, export, forwardTo} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	return b.Bytes()
}

// dll returns the whole image: DOS stub header, PE signature, COFF header,
// PE32+ optional header, one section header, padding, the export section.
func dll() []byte {
	exp := edata()
	raw := align(uint32(len(exp)), fileAlign)

	var opt pe.OptionalHeader64
	opt.Magic = 0x20b // PE32+
	opt.SizeOfInitializedData = raw
	opt.ImageBase = imageBase
	opt.SectionAlignment = sectionAlign
	opt.FileAlignment = fileAlign
	opt.MajorOperatingSystemVersion = 6
	opt.MajorSubsystemVersion = 6
	opt.SizeOfImage = sectionRVA + align(uint32(len(exp)), sectionAlign)
	opt.SizeOfHeaders = fileAlign
	opt.Subsystem = pe.IMAGE_SUBSYSTEM_WINDOWS_CUI
	opt.DllCharacteristics = pe.IMAGE_DLLCHARACTERISTICS_NX_COMPAT
	opt.SizeOfStackReserve, opt.SizeOfStackCommit = 0x100000, 0x1000
	opt.SizeOfHeapReserve, opt.SizeOfHeapCommit = 0x100000, 0x1000
	opt.NumberOfRvaAndSizes = 16
	opt.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_EXPORT] = pe.DataDirectory{VirtualAddress: sectionRVA, Size: uint32(len(exp))}

	var h bytes.Buffer
	h.WriteString("MZ")
	h.Write(make([]byte, 0x3c-2))
	binary.Write(&h, binary.LittleEndian, uint32(0x40)) // e_lfanew: the PE header follows the DOS header
	h.WriteString("PE\x00\x00")
	binary.Write(&h, binary.LittleEndian, pe.FileHeader{
		Machine:              pe.IMAGE_FILE_MACHINE_AMD64,
		NumberOfSections:     1,
		SizeOfOptionalHeader: uint16(binary.Size(opt)),
		Characteristics:      pe.IMAGE_FILE_EXECUTABLE_IMAGE | pe.IMAGE_FILE_LARGE_ADDRESS_AWARE | pe.IMAGE_FILE_DLL,
	})
	binary.Write(&h, binary.LittleEndian, opt)
	var name [8]uint8
	copy(name[:], ".edata")
	binary.Write(&h, binary.LittleEndian, pe.SectionHeader32{
		Name: name, VirtualSize: uint32(len(exp)), VirtualAddress: sectionRVA,
		SizeOfRawData: raw, PointerToRawData: sectionRaw,
		Characteristics: pe.IMAGE_SCN_CNT_INITIALIZED_DATA | pe.IMAGE_SCN_MEM_READ,
	})
	out := make([]byte, sectionRaw+raw)
	copy(out, h.Bytes())
	copy(out[sectionRaw:], exp)
	return out
}

func align(n, a uint32) uint32 { return (n + a - 1) / a * a }
