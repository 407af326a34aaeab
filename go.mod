module github.com/milestone-go/milestone

go 1.24
