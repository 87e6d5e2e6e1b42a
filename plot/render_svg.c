/* plot/render_svg.c — being written (issue 12). */
#include "plot/render.h"
