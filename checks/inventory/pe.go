package inventory

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// Reading a Windows binary's file version (what Explorer shows under
// Details) through the host's file system, so that it is tested on Linux:
// debug/pe locates the resource section, and the version resource's
// VS_FIXEDFILEINFO holds the four numbers.

// maxResources bounds the resource section read (WINWORD.EXE's is a few
// MB: icons, dialogs, type libraries).
const maxResources = 64 << 20

// rtVersion is the resource type of version information (RT_VERSION).
const rtVersion = 16

// fixedFileInfoSignature starts VS_FIXEDFILEINFO.
const fixedFileInfoSignature = 0xFEEF04BD

// errNoVersion is a binary without a readable version resource.
var errNoVersion = errors.New("no version resource")

// FileVersion returns the file version (major.minor.build.revision) of the
// PE binary name in fsys.
func FileVersion(fsys fs.FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		data, err := io.ReadAll(io.LimitReader(f, maxBinary+1))
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		if len(data) > maxBinary {
			return "", fmt.Errorf("%s: larger than %d bytes", name, maxBinary)
		}
		ra = bytes.NewReader(data)
	}
	pf, err := pe.NewFile(ra)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	defer pf.Close()
	var dir pe.DataDirectory
	switch oh := pf.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		if oh.NumberOfRvaAndSizes > pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
			dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
		}
	case *pe.OptionalHeader64:
		if oh.NumberOfRvaAndSizes > pe.IMAGE_DIRECTORY_ENTRY_RESOURCE {
			dir = oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_RESOURCE]
		}
	}
	if dir.VirtualAddress == 0 {
		return "", fmt.Errorf("%s: %w", name, errNoVersion)
	}
	for _, s := range pf.Sections {
		if dir.VirtualAddress < s.VirtualAddress || dir.VirtualAddress-s.VirtualAddress >= s.Size {
			continue
		}
		if s.Size > maxResources {
			return "", fmt.Errorf("%s: resource section of %d bytes", name, s.Size)
		}
		data, err := s.Data()
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		v, err := VersionFromResources(data[dir.VirtualAddress-s.VirtualAddress:], dir.VirtualAddress)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		return v, nil
	}
	return "", fmt.Errorf("%s: %w", name, errNoVersion)
}

// VersionFromResources finds the version resource in a PE resource
// directory (rsrc, loaded at the relative virtual address rva) and returns
// its fixed file version. The directory is three levels deep (type, name,
// language); the first name and language of RT_VERSION are taken, as
// Windows does for a binary's properties.
func VersionFromResources(rsrc []byte, rva uint32) (string, error) {
	off := uint32(0)
	for level := 0; level < 3; level++ {
		entries, err := resourceEntries(rsrc, off)
		if err != nil {
			return "", err
		}
		next, found := uint32(0), false
		for _, e := range entries {
			if level == 0 && e[0] != rtVersion {
				continue
			}
			next, found = e[1], true
			break
		}
		if !found {
			return "", errNoVersion
		}
		isDir := next&0x80000000 != 0
		next &^= 0x80000000
		if level < 2 != isDir {
			return "", errors.New("malformed resource directory")
		}
		off = next
	}
	// IMAGE_RESOURCE_DATA_ENTRY: data RVA, size.
	if uint64(off)+8 > uint64(len(rsrc)) {
		return "", errors.New("resource data entry out of bounds")
	}
	dataRVA := binary.LittleEndian.Uint32(rsrc[off:])
	size := binary.LittleEndian.Uint32(rsrc[off+4:])
	if dataRVA < rva || uint64(dataRVA-rva)+uint64(size) > uint64(len(rsrc)) {
		return "", errors.New("version resource out of the resource section")
	}
	return fixedFileVersion(rsrc[dataRVA-rva : dataRVA-rva+size])
}

// resourceEntries reads an IMAGE_RESOURCE_DIRECTORY at off: its entries as
// (name or ID, offset) pairs, named entries (high bit set) included.
func resourceEntries(rsrc []byte, off uint32) ([][2]uint32, error) {
	if uint64(off)+16 > uint64(len(rsrc)) {
		return nil, errors.New("resource directory out of bounds")
	}
	n := uint64(binary.LittleEndian.Uint16(rsrc[off+12:])) + uint64(binary.LittleEndian.Uint16(rsrc[off+14:]))
	start := uint64(off) + 16
	if start+8*n > uint64(len(rsrc)) {
		return nil, errors.New("resource directory entries out of bounds")
	}
	out := make([][2]uint32, n)
	for i := range out {
		p := start + 8*uint64(i)
		out[i] = [2]uint32{binary.LittleEndian.Uint32(rsrc[p:]), binary.LittleEndian.Uint32(rsrc[p+4:])}
	}
	return out, nil
}

// vsVersionInfoKey is "VS_VERSION_INFO" in UTF-16LE with its terminator.
var vsVersionInfoKey = func() []byte {
	var b []byte
	for _, c := range "VS_VERSION_INFO\x00" {
		b = append(b, byte(c), 0)
	}
	return b
}()

// fixedFileVersion reads VS_VERSIONINFO: wLength, wValueLength, wType, the
// key "VS_VERSION_INFO", padding to 32 bits, then VS_FIXEDFILEINFO
// (signature, structure version, file version MS, file version LS...).
func fixedFileVersion(vi []byte) (string, error) {
	const keyEnd = 6 + 32 // three WORDs and the 16 UTF-16 code units
	const fixedAt = (keyEnd + 3) &^ 3
	if len(vi) < fixedAt+52 || !bytes.Equal(vi[6:keyEnd], vsVersionInfoKey) {
		return "", errors.New("not a VS_VERSIONINFO")
	}
	if binary.LittleEndian.Uint16(vi[2:]) < 52 {
		return "", errors.New("VS_VERSIONINFO without VS_FIXEDFILEINFO")
	}
	ffi := vi[fixedAt:]
	if binary.LittleEndian.Uint32(ffi) != fixedFileInfoSignature {
		return "", errors.New("VS_FIXEDFILEINFO signature missing")
	}
	ms, ls := binary.LittleEndian.Uint32(ffi[8:]), binary.LittleEndian.Uint32(ffi[12:])
	return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff), nil
}
