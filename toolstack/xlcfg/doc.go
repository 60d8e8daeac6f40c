// Package xlcfg reads Xen's domain configuration files, xl.cfg(5), for
// Xenolith's toolstack.
//
// Data flow: `xenolith create vm.cfg [key=value...]` calls Load, then
// DomainConfig.Override for each argument, and sends the DomainConfig to
// the daemon, which builds the domain from it (domains/). Nothing here
// touches a domain; the daemon checks the config against its own limits
// (host RAM, vCPU count, command line size).
//
// Three parts:
//
//   - Parse turns text into a File: every KEY = VALUE or KEY += VALUE in
//     file order, with positions, for any key. It follows libxlu's
//     grammar (tools/libs/util/libxlu_cfg_{l.l,y.y} in Xen), except that
//     it refuses nested lists (xl uses them only for vnuma) and also takes
//     CRLF line ends and backslash line continuations. File.String prints
//     a File back as xl.cfg text.
//   - Decode turns a File into a DomainConfig, the keys Xenolith
//     supports, with xl's defaults and xl's rules for reading values
//     (xl_parse.c): the last setting of a key wins, numbers may be given
//     as strings and strings as numbers, cmdline beats root and extra,
//     memory and maxmem default to each other, maxmem and maxvcpus may
//     not be less than memory and vcpus. Any other key is an error, so a
//     setting is never silently ignored.
//   - disk and vif are lists of spec strings with a syntax of their own:
//     parseDisk reads xl-disk-configuration(5) (KEY=VALUE, flags, the
//     positional TARGET,FORMAT,VDEV,ACCESS and the deprecated phy:-style
//     prefixes, as libxlu_disk_l.l does) into a DiskSpec with its Xen
//     virtual-device number; parseVif reads xl-network-configuration(5)
//     into a VifSpec. DiskSpec.String and VifSpec.String write the
//     canonical KEY=VALUE form that DomainConfig.File uses.
//
// Errors carry file and line: *SyntaxError (FILE:LINE:COL: MSG) from
// Parse, *ConfigError (FILE:LINE: MSG) from Decode, each wrapping one of
// the Err* sentinels. An error in one disk or vif spec has the line of
// that list item, and quotes the spec.
//
// Paths (kernel, ramdisk, disk targets) are kept as written; KernelPath,
// RamdiskPath and DiskPath resolve a relative one against the config
// file's directory, not the daemon's working directory.
package xlcfg
