module github.com/milestone-go/milestone/bench

go 1.24

replace github.com/milestone-go/milestone => ../
