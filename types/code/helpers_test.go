package code

import "io"

func ioMulti(rs ...io.Reader) io.Reader { return io.MultiReader(rs...) }
