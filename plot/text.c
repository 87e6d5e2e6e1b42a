/* plot/text.c — being written (issue 12). */
#include "plot/render.h"
