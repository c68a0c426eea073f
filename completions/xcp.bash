# bash completion for xcp(1)                               -*- shell-script -*-
#
# Works with the bash-completion package when it is loaded, and falls back
# to plain compgen when its helpers (_init_completion, _filedir) are absent.

_xcp_long_opts='--archive --attributes-only --backup --backup= --context
    --context= --copy-contents --debug
    --force --interactive --jobs= --link --dereference --manifest= --no-clobber
    --no-dereference --preserve --preserve= --no-preserve= --parents
    --progress --no-progress
    --recursive --reflink --reflink= --remove-destination --sparse=
    --strip-trailing-slashes --symbolic-link --suffix= --target-directory=
    --no-target-directory --update --verbose --one-file-system --help
    --version'
_xcp_short_opts='-a -b -d -f -H -i -j -l -L -n -P -p -R -r -s -S -t -T -u -v -x -Z'
_xcp_attrs='mode ownership timestamps links context xattr all'

# _xcp_files [-d]: complete file names (directories only with -d) for $cur.
_xcp_files()
{
    if declare -F _filedir >/dev/null 2>&1; then
        if [[ ${1-} == -d ]]; then
            _filedir -d
        else
            _filedir
        fi
        return
    fi
    local kind=-f
    [[ ${1-} == -d ]] && kind=-d
    compopt -o filenames 2>/dev/null
    # Added to the replies, as _filedir does.
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen "$kind" -- "$cur")
}

# _xcp_attr_list: complete a comma separated list of attribute names.
_xcp_attr_list()
{
    local done_part='' part=$cur a w
    if [[ $cur == *,* ]]; then
        done_part=${cur%,*},
        part=${cur##*,}
    fi
    local -a avail=()
    for a in $_xcp_attrs; do
        # skip names that are already in the list
        case ",$done_part" in
            *,"$a",*) continue ;;
        esac
        avail+=("$a")
    done
    mapfile -t COMPREPLY < <(compgen -W "${avail[*]}" -- "$part")
    for w in "${!COMPREPLY[@]}"; do
        COMPREPLY[w]=$done_part${COMPREPLY[w]}
    done
    compopt -o nospace 2>/dev/null
}

_xcp()
{
    local cur prev words cword split=false

    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        COMPREPLY=()
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=
        ((cword > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
        # Readline splits "--opt=value" at '=' when '=' is in
        # COMP_WORDBREAKS: the words are then "--opt" "=" "value".
        if [[ $cur == = ]] && ((cword > 0)); then
            cur=
            split=true
        elif [[ $prev == = ]] && ((cword > 1)); then
            prev=${COMP_WORDS[COMP_CWORD - 2]}
            split=true
        elif [[ $cur == --?*=* ]]; then
            prev=${cur%%=*}
            cur=${cur#*=}
            split=true
        fi
    fi

    # Readline replaces only the text after '=' when '=' is a word break;
    # otherwise the "--opt=" part has to be part of every reply.
    local pfx=
    if $split && [[ $COMP_WORDBREAKS != *=* ]]; then
        pfx=$prev=
    fi

    local i w
    if $split; then
        case $prev in
            --reflink | --sparse)
                mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
                ;;
            --backup)
                mapfile -t COMPREPLY < <(compgen -W 'none off numbered t
                    existing nil simple never' -- "$cur")
                ;;
            --preserve | --no-preserve)
                _xcp_attr_list
                ;;
            --target-directory)
                _xcp_files -d
                ;;
            --manifest)
                _xcp_files
                ;;
            *)
                # --suffix: free text; --jobs: a number
                COMPREPLY=()
                ;;
        esac
        if [[ $pfx ]]; then
            for i in "${!COMPREPLY[@]}"; do
                COMPREPLY[i]=$pfx${COMPREPLY[i]}
            done
        fi
        return 0
    fi

    # Options whose argument is a separate word.  Optional arguments
    # (--backup, --preserve, --reflink) can only be given after '='.
    case $prev in
        --target-directory)
            _xcp_files -d
            return 0
            ;;
        --manifest)
            _xcp_files
            return 0
            ;;
        --sparse)
            mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
            return 0
            ;;
        --no-preserve)
            _xcp_attr_list
            return 0
            ;;
        --suffix | --jobs)
            COMPREPLY=()
            return 0
            ;;
        -[!-]*)
            # A cluster of short options: the first S, t or j in it takes
            # the rest of the cluster, or the next word when it is last.
            w=${prev#-}
            for ((i = 0; i < ${#w}; i++)); do
                case ${w:i:1} in
                    t | S | j)
                        if ((i == ${#w} - 1)); then
                            if [[ ${w:i:1} == t ]]; then
                                _xcp_files -d
                            else
                                COMPREPLY=()
                            fi
                            return 0
                        fi
                        break
                        ;;
                esac
            done
            ;;
    esac

    # After "--" every word is a file name.
    local ddash=false
    for ((i = 1; i < cword; i++)); do
        if [[ ${words[i]} == -- ]]; then
            ddash=true
            break
        fi
    done

    if ! $ddash && [[ $cur == -* ]]; then
        if [[ $cur == --* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$_xcp_long_opts" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen \
                -W "$_xcp_short_opts $_xcp_long_opts" -- "$cur")
        fi
        if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]]; then
            compopt -o nospace 2>/dev/null
        fi
        return 0
    fi

    _xcp_files
    return 0
}

complete -F _xcp xcp

# ex: filetype=sh
