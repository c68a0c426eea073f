# fish completion for xsync(1)

# The command is the first word after xsync; its options come before its
# operands.

function __fish_xsync_needs_command
    test (count (commandline -opc)) -eq 1
end

function __fish_xsync_using
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = $argv[1]
end

# The number of operands before the current word.
function __fish_xsync_nargs
    set -l tokens (commandline -opc)
    set -l n 0
    set -l skip 0
    set -l ddash 0
    for t in $tokens[3..-1]
        if test $skip -eq 1
            set skip 0
            continue
        end
        if test $ddash -eq 1; or test $n -gt 0
            set n (math $n + 1)
            continue
        end
        switch $t
            case --
                set ddash 1
            case -j -o --jobs --output --format
                set skip 1
            case -
                set n (math $n + 1)
            case '-*'
                # A short cluster ending in j or o takes the next word.
                string match -qr -- '^-[^-jo]*[jo]$' $t; and set skip 1
            case '*'
                set n (math $n + 1)
        end
    end
    echo $n
end

# Options are offered only before the first operand.
function __fish_xsync_opts_for
    __fish_xsync_using $argv[1]; and test (__fish_xsync_nargs) -eq 0
end

function __fish_xsync_operand
    __fish_xsync_using $argv[1]; and test (__fish_xsync_nargs) -eq $argv[2]
end

complete -c xsync -f

complete -c xsync -n __fish_xsync_needs_command -a manifest -d 'Write an xcpm manifest of a directory'
complete -c xsync -n __fish_xsync_needs_command -a verify -d 'Compare a directory with a manifest or an mtree spec'
complete -c xsync -n __fish_xsync_needs_command -a export -d 'Convert a manifest to an mtree spec or an xxhsum list'
complete -c xsync -n '__fish_xsync_needs_command; or __fish_xsync_opts_for manifest; or __fish_xsync_opts_for verify; or __fish_xsync_opts_for export' -l help -d 'Display help and exit'
complete -c xsync -n '__fish_xsync_needs_command; or __fish_xsync_opts_for manifest; or __fish_xsync_opts_for verify; or __fish_xsync_opts_for export' -l version -d 'Display version information and exit'

# manifest [-j N] [-o FILE] DIR
complete -c xsync -n '__fish_xsync_opts_for manifest' -s j -l jobs -x -d 'Hash with N threads (default: one per CPU but one)'
complete -c xsync -n '__fish_xsync_opts_for manifest' -s o -l output -r -F -d 'Write to FILE, atomically'
complete -c xsync -n '__fish_xsync_operand manifest 0' -x -a '(__fish_complete_directories (commandline -ct))'

# verify [-j N] [--json] [-v] MANIFEST DIR
complete -c xsync -n '__fish_xsync_opts_for verify' -s j -l jobs -x -d 'Hash with N threads (default: one per CPU but one)'
complete -c xsync -n '__fish_xsync_opts_for verify' -l json -d 'Write one JSON document on standard output'
complete -c xsync -n '__fish_xsync_opts_for verify' -s v -l verbose -d 'Print a summary on standard error'
complete -c xsync -n '__fish_xsync_operand verify 0' -F
complete -c xsync -n '__fish_xsync_operand verify 1' -x -a '(__fish_complete_directories (commandline -ct))'

# export --format=FMT [-o FILE] MANIFEST
complete -c xsync -n '__fish_xsync_opts_for export' -l format -x -a 'mtree\t"mtree specification, for mtree -f and bsdtar @spec"
xxhsum\t"Checksum list, for xxhsum -H2 -c"' -d 'Output format'
complete -c xsync -n '__fish_xsync_opts_for export' -s o -l output -r -F -d 'Write to FILE, atomically'
complete -c xsync -n '__fish_xsync_operand export 0' -F
