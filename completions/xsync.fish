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

# verify [-0v] [-j N] [--json] MANIFEST DIR
complete -c xsync -n '__fish_xsync_opts_for verify' -s j -l jobs -x -d 'Hash with N threads (default: one per CPU but one)'
complete -c xsync -n '__fish_xsync_opts_for verify' -l json -d 'Write one JSON document on standard output'
complete -c xsync -n '__fish_xsync_opts_for verify' -s 0 -l null -d 'Records ended by NULs, paths as they are'
complete -c xsync -n '__fish_xsync_opts_for verify' -s v -l verbose -d 'Print a summary on standard error'
complete -c xsync -n '__fish_xsync_operand verify 0' -F
complete -c xsync -n '__fish_xsync_operand verify 1' -x -a '(__fish_complete_directories (commandline -ct))'

# export --format=FMT [-o FILE] MANIFEST
complete -c xsync -n '__fish_xsync_opts_for export' -l format -x -a 'mtree\t"mtree specification, for mtree -f and bsdtar @spec"
xxhsum\t"Checksum list, for xxhsum -H2 -c"' -d 'Output format'
complete -c xsync -n '__fish_xsync_opts_for export' -s o -l output -r -F -d 'Write to FILE, atomically'
complete -c xsync -n '__fish_xsync_operand export 0' -F

# The mirror: xsync [OPTION]... SRC... DST when the first word is no command.
function __fish_xsync_mirror
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; or return 0
    not contains -- $tokens[2] snapshot list prune diff verify manifest export
end
complete -c xsync -n __fish_xsync_mirror -F
complete -c xsync -n __fish_xsync_mirror -s a -l archive -d 'The same as -rlptgoD'
complete -c xsync -n __fish_xsync_mirror -s r -l recursive -d 'Copy directories'
complete -c xsync -n __fish_xsync_mirror -s l -l links -d 'Copy symbolic links as links'
complete -c xsync -n __fish_xsync_mirror -s p -l perms -d 'Keep permissions'
complete -c xsync -n __fish_xsync_mirror -s t -l times -d 'Keep modification times'
complete -c xsync -n __fish_xsync_mirror -s o -l owner -d 'Keep the owner'
complete -c xsync -n __fish_xsync_mirror -s g -l group -d 'Keep the group'
complete -c xsync -n __fish_xsync_mirror -s D -d 'The same as --devices --specials'
complete -c xsync -n __fish_xsync_mirror -l devices -d 'Copy devices'
complete -c xsync -n __fish_xsync_mirror -l specials -d 'Copy FIFOs and sockets'
complete -c xsync -n __fish_xsync_mirror -s H -l hard-links -d 'Keep hard links'
complete -c xsync -n __fish_xsync_mirror -s A -l acls -d 'Keep ACLs'
complete -c xsync -n __fish_xsync_mirror -s X -l xattrs -d 'Keep extended attributes'
complete -c xsync -n __fish_xsync_mirror -s x -l one-file-system -d 'Stay on one filesystem'
complete -c xsync -n __fish_xsync_mirror -l delete -d 'Delete what the source lacks'
complete -c xsync -n __fish_xsync_mirror -l delete-during -d 'The same as --delete'
complete -c xsync -n __fish_xsync_mirror -l delete-excluded -d 'Delete excluded entries too'
complete -c xsync -n __fish_xsync_mirror -l max-delete -x -d 'Delete at most N entries'
complete -c xsync -n __fish_xsync_mirror -l exclude -x -d 'Exclude what matches PATTERN'
complete -c xsync -n __fish_xsync_mirror -l include -x -d 'Keep what matches PATTERN'
complete -c xsync -n __fish_xsync_mirror -l exclude-from -r -F -d 'Exclude patterns from FILE'
complete -c xsync -n __fish_xsync_mirror -l include-from -r -F -d 'Include patterns from FILE'
complete -c xsync -n __fish_xsync_mirror -s 0 -l from0 -d 'Patterns in the -from files end with NULs'
complete -c xsync -n __fish_xsync_mirror -s f -l filter -x -d 'A filter rule'
complete -c xsync -n __fish_xsync_mirror -s n -l dry-run -d 'Change nothing'
complete -c xsync -n __fish_xsync_mirror -s i -l itemize-changes -d 'A line per change'
complete -c xsync -n __fish_xsync_mirror -s c -l checksum -d 'Compare content'
complete -c xsync -n __fish_xsync_mirror -l link-dest -x -a '(__fish_complete_directories (commandline -ct))' -d 'Hard link files unchanged in DIR'
complete -c xsync -n __fish_xsync_mirror -l reflink-dest -x -a '(__fish_complete_directories (commandline -ct))' -d 'Clone files unchanged in DIR'
complete -c xsync -n __fish_xsync_mirror -s j -l jobs -x -d 'Threads for files'
complete -c xsync -n __fish_xsync_mirror -s P -l progress -d 'A line per file written'
complete -c xsync -n __fish_xsync_mirror -l no-progress -d 'No progress line, nor --progress lines'
complete -c xsync -n __fish_xsync_mirror -l info -x -a 'progress2 stats' -d 'progress2: the whole transfer'
complete -c xsync -n __fish_xsync_mirror -l stats -d 'Counts and sizes at the end'
complete -c xsync -n __fish_xsync_mirror -l json -d 'The counts, and what -i or -v shows, as JSON'
complete -c xsync -n __fish_xsync_mirror -l null -d '-i, -v: end each name with a NUL, unescaped'
complete -c xsync -n __fish_xsync_mirror -s v -l verbose -d 'Names of what changes'
complete -c xsync -n __fish_xsync_mirror -s q -l quiet -d 'Only errors'
complete -c xsync -n __fish_xsync_mirror -l numeric-ids -d 'Accepted'
complete -c xsync -n __fish_xsync_mirror -l fsync -d 'Have what was written on disk before exiting'

# snapshot [OPTION]... SRC REPO, list REPO, prune --keep-KIND=N REPO, diff A B
complete -c xsync -n __fish_xsync_needs_command -a snapshot -d 'Take a snapshot into a repository'
complete -c xsync -n __fish_xsync_needs_command -a list -d 'List the snapshots of a repository'
complete -c xsync -n __fish_xsync_needs_command -a prune -d 'Delete the snapshots a policy does not keep'
complete -c xsync -n __fish_xsync_needs_command -a diff -d 'What changed between two snapshots'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l link -d 'Hard link unchanged files, never clone'
complete -c xsync -n '__fish_xsync_opts_for snapshot; or __fish_xsync_opts_for prune' -l wait -d 'Wait for another run to end'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l fsync -d 'Have the snapshot on disk before exiting'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s c -l checksum -d 'Compare with the stored hashes'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s x -l one-file-system -d 'Stay on one filesystem'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l exclude -x -d 'Exclude what matches PATTERN'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l include -x -d 'Keep what matches PATTERN'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l exclude-from -r -F -d 'Exclude patterns from FILE'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l include-from -r -F -d 'Include patterns from FILE'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s 0 -l from0 -d 'Patterns in the -from files end with NULs'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s f -l filter -x -d 'A filter rule'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s i -l itemize-changes -d 'A line per change'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s v -l verbose -d 'A summary line'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s q -l quiet -d 'Only errors'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l stats -d 'Counts and sizes at the end'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l progress -d 'A line per file written'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l no-progress -d 'No progress line, nor --progress lines'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l json -d 'The counts, and what -i or -v shows, as JSON'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -l null -d '-i, -v: end each name with a NUL, unescaped'
complete -c xsync -n '__fish_xsync_opts_for snapshot' -s j -l jobs -x -d 'Copy and hash with N threads'
complete -c xsync -n '__fish_xsync_operand snapshot 0; or __fish_xsync_operand snapshot 1; or __fish_xsync_operand list 0; or __fish_xsync_operand prune 0' -x -a '(__fish_complete_directories (commandline -ct))'
complete -c xsync -n '__fish_xsync_opts_for list' -s h -l human-readable -d 'Sizes in K, M, G'
complete -c xsync -n '__fish_xsync_opts_for list' -s 0 -l null -d 'Only the names, each ended by a NUL'
complete -c xsync -n '__fish_xsync_opts_for list; or __fish_xsync_opts_for diff' -l json -d 'One JSON document on standard output'
for kind in last hourly daily weekly monthly yearly
    complete -c xsync -n '__fish_xsync_opts_for prune' -l keep-$kind -x -d "Keep $kind snapshots"
end
complete -c xsync -n '__fish_xsync_opts_for prune' -s n -l dry-run -d 'Delete nothing'
complete -c xsync -n '__fish_xsync_opts_for prune' -s v -l verbose -d 'What is kept and why'
complete -c xsync -n '__fish_xsync_opts_for prune' -s 0 -l null -d 'Only the names deleted, each ended by a NUL'
complete -c xsync -n '__fish_xsync_opts_for prune' -l json -d 'What is kept and why, and what is deleted, as JSON'
complete -c xsync -n '__fish_xsync_opts_for diff' -s 0 -l null -d 'Records ended by NULs, paths as they are'
complete -c xsync -n '__fish_xsync_operand diff 0; or __fish_xsync_operand diff 1' -F
