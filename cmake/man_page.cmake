# Writes the man page outpost.1 from the CLI's own help, so that the page
# and `outpost --help` cannot disagree. Run at build time by cli/CMakeLists.txt:
#   cmake -DOUTPOST=path/to/outpost -DVERSION=x.y.z -DOUT=outpost.1 -P man_page.cmake
# The page: NAME, SYNOPSIS and DESCRIPTION from `outpost --help`, then one
# subsection per command and subcommand with its --help, preformatted.

function(help_of out)
  execute_process(COMMAND ${OUTPOST} ${ARGN} --help OUTPUT_VARIABLE text
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "outpost ${ARGN} --help failed (${rc})")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# The command names listed under "Commands:" (or "Subcommands:") in a help text.
function(commands_of out text)
  set(names "")
  set(in_list FALSE)
  string(REPLACE "\n" ";" lines "${text}")
  foreach(line IN LISTS lines)
    if(line MATCHES "^(Commands|Subcommands):$")
      set(in_list TRUE)
    elseif(in_list AND line MATCHES "^  ([a-z][a-z0-9-]*)( |$)")
      list(APPEND names "${CMAKE_MATCH_1}")
    elseif(in_list AND NOT line MATCHES "^ ")
      set(in_list FALSE)
    endif()
  endforeach()
  set(${out} "${names}" PARENT_SCOPE)
endfunction()

# Roff-safe preformatted text: backslashes doubled, leading dots and quotes escaped.
function(roff out text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of(top)
roff(top_roff "${top}")
set(page ".TH OUTPOST 1 \"\" \"outpost ${VERSION}\" \"User Commands\"
.SH NAME
outpost \\- the offline-first record store of a border crossing
.SH SYNOPSIS
.B outpost
[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]
.SH DESCRIPTION
.nf
${top_roff}
.fi
.SH COMMANDS
")
commands_of(commands "${top}")
foreach(cmd IN LISTS commands)
  help_of(text ${cmd})
  roff(text_roff "${text}")
  string(APPEND page ".SS \"outpost ${cmd}\"\n.nf\n${text_roff}\n.fi\n")
  commands_of(subs "${text}")
  foreach(sub IN LISTS subs)
    help_of(sub_text ${cmd} ${sub})
    roff(sub_roff "${sub_text}")
    string(APPEND page ".SS \"outpost ${cmd} ${sub}\"\n.nf\n${sub_roff}\n.fi\n")
  endforeach()
endforeach()
string(APPEND page ".SH SEE ALSO\n/usr/share/doc/outpost/operator-guide.md, /usr/share/doc/outpost/README.md\n")
file(WRITE "${OUT}" "${page}")
