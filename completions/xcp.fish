# fish completion for xcp(1)

complete -c xcp -s a -l archive -d 'Same as -dR --preserve=all'
complete -c xcp -l attributes-only -d 'Copy only the attributes, not the file data'
complete -c xcp -l copy-contents -d 'Read FIFOs and devices as data when recursive'
complete -c xcp -s Z -l context -d 'Accepted for compatibility; sets no SELinux context'
complete -c xcp -l backup -f -a 'none\t"Never make backups"
off\t"Never make backups"
numbered\t"Make numbered backups"
t\t"Make numbered backups"
existing\t"Numbered if numbered backups exist, simple otherwise"
nil\t"Numbered if numbered backups exist, simple otherwise"
simple\t"Always make simple backups"
never\t"Always make simple backups"' -d 'Back up each existing destination file'
complete -c xcp -s b -d 'Like --backup, without an argument'
complete -c xcp -s d -d 'Same as --no-dereference --preserve=links'
complete -c xcp -l debug -d 'Report the copy strategy used for each file'
complete -c xcp -s f -l force -d 'Remove a destination that cannot be opened and retry'
complete -c xcp -s i -l interactive -d 'Ask before overwriting'
complete -c xcp -s j -l jobs -x -d 'Copy files with N threads (default: one per CPU; one into btrfs)'
complete -c xcp -s H -d 'Follow symbolic links named on the command line'
complete -c xcp -s l -l link -d 'Make hard links instead of copying'
complete -c xcp -s L -l dereference -d 'Always follow symbolic links in sources'
complete -c xcp -l manifest -r -F -d 'Write an xcpm manifest of the destination to FILE'
complete -c xcp -s n -l no-clobber -d 'Never overwrite an existing file'
complete -c xcp -s P -l no-dereference -d 'Never follow symbolic links in sources'
complete -c xcp -s p -d 'Same as --preserve=mode,ownership,timestamps'
complete -c xcp -l preserve -f -a '(__fish_xcp_attributes)' -d 'Preserve the listed attributes'
complete -c xcp -l no-preserve -x -a '(__fish_xcp_attributes)' -d 'Do not preserve the listed attributes'
complete -c xcp -l parents -d 'Append the source name to the target directory'
complete -c xcp -l progress -d 'Show the progress line from the start'
complete -c xcp -l no-progress -d 'No progress line'
complete -c xcp -s R -s r -l recursive -d 'Copy directories recursively'
complete -c xcp -l reflink -f -a 'auto\t"Clone where possible (default)"
always\t"Clone or fail"
never\t"Always make an independent copy"' -d 'Control copy-on-write clones'
complete -c xcp -l remove-destination -d 'Remove each existing destination before copying'
complete -c xcp -l sparse -x -a 'auto\t"Reproduce holes of sparse sources (default)"
always\t"Also turn runs of zeros into holes"
never\t"Create no holes"' -d 'Control creation of sparse files'
complete -c xcp -l strip-trailing-slashes -d 'Remove trailing slashes from source arguments'
complete -c xcp -s s -l symbolic-link -d 'Make symbolic links instead of copying'
complete -c xcp -s S -l suffix -x -d 'Suffix for simple backups'
complete -c xcp -s t -l target-directory -x -a '(__fish_complete_directories (commandline -ct))' -d 'Copy all sources into a directory'
complete -c xcp -s T -l no-target-directory -d 'Treat the destination as a normal file'
complete -c xcp -s u -l update -d 'Copy only when the source is newer or the destination is missing'
complete -c xcp -s v -l verbose -d 'Print the name of each file copied'
complete -c xcp -s x -l one-file-system -d 'Stay on the starting file system'
complete -c xcp -l help -d 'Display help and exit'
complete -c xcp -l version -d 'Display version information and exit'

# Complete a comma separated attribute list for --preserve and --no-preserve.
function __fish_xcp_attributes
    set -l tok (commandline -ct | string replace -r -- '^--(no-)?preserve=' '')
    set -l done_part (string match -r -- '^.*,' $tok)
    set -l given (string split , -- $done_part)
    for attr in mode ownership timestamps links context xattr all
        contains -- $attr $given; and continue
        printf '%s%s\n' "$done_part" $attr
    end
end
