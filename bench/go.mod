module github.com/milestone-go/milestone/bench

go 1.24.0

replace github.com/milestone-go/milestone => ../

require github.com/milestone-go/milestone v0.0.0
