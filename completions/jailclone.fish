# fish completion for jailclone(1)

# The command is the first word after jailclone; its options come before its
# operands.

function __fish_jailclone_needs_command
    test (count (commandline -opc)) -eq 1
end

function __fish_jailclone_using
    set -l tokens (commandline -opc)
    test (count $tokens) -ge 2; and test "$tokens[2]" = $argv[1]
end

# The number of operands before the current word.
function __fish_jailclone_nargs
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
            case -j -m --jobs --mode --template --store --shared --private --hostname --set --copy-in
                set skip 1
            case -
                set n (math $n + 1)
            case '-*'
                # A short cluster ending in j or m takes the next word.
                string match -qr -- '^-[^-jm]*[jm]$' $t; and set skip 1
            case '*'
                set n (math $n + 1)
        end
    end
    echo $n
end

# Options are offered only before the first operand or "--".
function __fish_jailclone_opts_for
    __fish_jailclone_using $argv[1]; and test (__fish_jailclone_nargs) -eq 0
    and not contains -- -- (commandline -opc)[3..-1]
end

# __fish_jailclone_operand COMMAND N: the current word is operand N (from 0)
# of COMMAND; with "+" after N, operand N or a later one.
function __fish_jailclone_operand
    __fish_jailclone_using $argv[1]; or return 1
    set -l n (__fish_jailclone_nargs)
    if test "$argv[3]" = +
        test $n -ge $argv[2]
    else
        test $n -eq $argv[2]
    end
end

# Directories for the current word, or for what follows "--opt=" in it.
function __fish_jailclone_dirs
    __fish_complete_directories (commandline -ct | string replace -r -- '^--[^=]*=' '')
end

complete -c jailclone -f

complete -c jailclone -n __fish_jailclone_needs_command -a create -d 'Make jails from a template'
complete -c jailclone -n __fish_jailclone_needs_command -a verify -d 'Compare jails with their manifests'
complete -c jailclone -n __fish_jailclone_needs_command -a update -d 'Move jails to a new template, keeping their changes'
complete -c jailclone -n __fish_jailclone_needs_command -a du -d 'Measure what jails use'
complete -c jailclone -n __fish_jailclone_needs_command -a destroy -d 'Remove jails and their records'
complete -c jailclone -n __fish_jailclone_needs_command -a list -d 'List the jails of a directory'
complete -c jailclone -n '__fish_jailclone_needs_command; or __fish_jailclone_opts_for create; or __fish_jailclone_opts_for verify; or __fish_jailclone_opts_for update; or __fish_jailclone_opts_for du; or __fish_jailclone_opts_for destroy; or __fish_jailclone_opts_for list' -l help -d 'Display help and exit'
complete -c jailclone -n __fish_jailclone_needs_command -l version -d 'Display version information and exit'

# create [OPTION]... TEMPLATE JAIL...
complete -c jailclone -n '__fish_jailclone_opts_for create' -s m -l mode -x -a 'auto\t"Snapshot, else clones, else hard links with --shared, else copies"
snapshot\t"A writable btrfs snapshot of the template subvolume"
reflink\t"A copy-on-write clone of every regular file"
hardlink\t"Hard links below --shared paths, copies for the rest"
copy\t"Independent copies of every file"' -d 'How to make each jail'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l store -x -a '(__fish_jailclone_dirs)' -d 'Where archives are unpacked'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l shared -x -a '(__fish_jailclone_dirs)' -d 'Hard link the files below PATH (hardlink mode)'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l private -x -a '(__fish_jailclone_dirs)' -d 'Never hard link below PATH'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l hostname -x -d 'Write NAME to etc/hostname (%n: the jail)'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l set -x -d 'Write TEXT to PATH in each jail (PATH=TEXT)'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l copy-in -r -F -d 'Copy the file SRC to PATH in each jail (SRC:PATH)'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l progress -d 'Show the progress line from the start'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l no-progress -d 'No progress line'
complete -c jailclone -n '__fish_jailclone_opts_for create' -s j -l jobs -x -d 'Make N jails at a time'
complete -c jailclone -n '__fish_jailclone_opts_for create' -s v -l verbose -d 'Name each jail done'
complete -c jailclone -n '__fish_jailclone_opts_for create' -l wait -d 'Wait for a jail or the store in use instead of failing'
complete -c jailclone -n '__fish_jailclone_operand create 0' -F
complete -c jailclone -n '__fish_jailclone_operand create 1 +' -x -a '(__fish_jailclone_dirs)'

# verify [-0] [--json] [--fast] [-j N] [--wait] JAIL...
complete -c jailclone -n '__fish_jailclone_opts_for verify' -l json -d 'One JSON document on standard output'
complete -c jailclone -n '__fish_jailclone_opts_for verify' -s 0 -l null -d 'Records ended by NULs, paths as they are'
complete -c jailclone -n '__fish_jailclone_opts_for verify' -l fast -d 'Compare metadata only, read no content'
complete -c jailclone -n '__fish_jailclone_opts_for verify' -s j -l jobs -x -d 'Hash with N threads'
complete -c jailclone -n '__fish_jailclone_opts_for verify' -l wait -d 'Wait for a jail in use instead of failing'

# update --template=TEMPLATE [-0v] [--json] [--store=DIR] [-j N] [--wait] JAIL...
complete -c jailclone -n '__fish_jailclone_opts_for update' -l template -r -F -d 'The new template (directory or archive)'
complete -c jailclone -n '__fish_jailclone_opts_for update' -s v -l verbose -d 'Name each jail done and each path changed'
complete -c jailclone -n '__fish_jailclone_opts_for update' -l json -d 'One JSON document on standard output'
complete -c jailclone -n '__fish_jailclone_opts_for update' -s 0 -l null -d 'Records ended by NULs, paths as they are'
complete -c jailclone -n '__fish_jailclone_opts_for update' -l store -x -a '(__fish_jailclone_dirs)' -d 'Where archives are unpacked'
complete -c jailclone -n '__fish_jailclone_opts_for update' -s j -l jobs -x -d 'Update N jails at a time'
complete -c jailclone -n '__fish_jailclone_opts_for update' -l wait -d 'Wait for a jail or the store in use instead of failing'

# du [--json] [-h] JAIL...
complete -c jailclone -n '__fish_jailclone_opts_for du' -l json -d 'One JSON document on standard output'
complete -c jailclone -n '__fish_jailclone_opts_for du' -s h -l human-readable -d 'Sizes in K, M, G'

# destroy [-v] [--wait] JAIL...
complete -c jailclone -n '__fish_jailclone_opts_for destroy' -s v -l verbose -d 'Name each jail done'
complete -c jailclone -n '__fish_jailclone_opts_for destroy' -l wait -d 'Wait for a jail in use instead of failing'

complete -c jailclone -n '__fish_jailclone_operand verify 0 +; or __fish_jailclone_operand update 0 +; or __fish_jailclone_operand du 0 +; or __fish_jailclone_operand destroy 0 +' -x -a '(__fish_jailclone_dirs)'

# list [-0] [--json] [DIR]
complete -c jailclone -n '__fish_jailclone_opts_for list' -l json -d 'One JSON document on standard output'
complete -c jailclone -n '__fish_jailclone_opts_for list' -s 0 -l null -d 'The names of complete jails, each ended by a NUL'
complete -c jailclone -n '__fish_jailclone_operand list 0' -x -a '(__fish_jailclone_dirs)'
