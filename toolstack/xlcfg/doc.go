// Package xlcfg reads Xen's domain configuration files, xl.cfg(5), for
// Xenolith's toolstack.
//
// Data flow: `xenolith create vm.cfg [key=value...]` calls Load, then
// DomainConfig.Override for each argument, and sends the DomainConfig to
// the daemon, which builds the domain from it (domains/). Nothing here
// touches a domain; the daemon checks the config against its own limits
// (host RAM, vCPU count, command line size).
//
// Two layers:
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
//     as strings and strings as numbers, cmdline beats root and extra.
//     Any other key is an error, so a setting is never silently ignored.
//
// Errors carry file and line: *SyntaxError (FILE:LINE:COL: MSG) from
// Parse, *ConfigError (FILE:LINE: MSG) from Decode, each wrapping one of
// the Err* sentinels.
package xlcfg
